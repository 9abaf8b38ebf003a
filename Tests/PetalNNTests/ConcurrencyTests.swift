// One model, several threads: predictions made at the same time equal those of one thread, a thread count set on
// one thread holds for executions from any other, and the primitive cache stays within its bound.
import CDNNL
import Dispatch
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN
@testable import PetalTensor

@Suite struct ConcurrencyTests {
    /// Eight predictions of four inputs made at once on `threads` threads, each through its own fused pass (each
    /// traces the model), and the same predictions made one by one afterwards in eval mode.
    static func predictConcurrently(_ model: ResNet, seed: UInt64) throws -> (concurrent: [[Float]], alone: [[Float]]) {
        var g = SeededGenerator(seed: seed)
        let inputs = try (0..<4).map { _ in try Tensor.randomNormal([2, 3, 32, 32], generator: &g) }
        let results = UnsafeMutableBufferPointer<[Float]>.allocate(capacity: 8)
        results.initialize(repeating: [])
        defer { results.deallocate() }
        nonisolated(unsafe) let (shared, sharedModel) = (results, model)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            shared[i] = (try? sharedModel.predictProbabilities(inputs[i % 4]).scalars) ?? []
        }
        let concurrent = Array(results)
        let wasTraining = model.isTraining
        model.eval()
        defer { model.setTraining(wasTraining) }
        return (concurrent, try (0..<8).map { try model.predictProbabilities(inputs[$0 % 4]).scalars })
    }

    @Test func twoThreadsPredictingWithOneModelGetTheSameResultsAsOne() throws {
        let model = try ResNet(depth: .r18, variant: .v1, classes: 3, baseWidth: 8, initializer: WeightInitializer(seed: 11))
        model.eval()
        // Fresh weights: the first calls on both threads race to fill the layout caches and the batch-norm folding.
        let (concurrent, alone) = try Self.predictConcurrently(model, seed: 12)
        #expect(concurrent == alone, "predictions made concurrently differ from those made alone")
    }

    @Test func predictingWithAModelInTrainingModeNeverWritesToIt() throws {
        let model = try ResNet(depth: .r18, variant: .v1, classes: 3, baseWidth: 8, initializer: WeightInitializer(seed: 13))
        model.train()
        let state = { model.stateDict.map(\.tensor.scalars) }
        let before = state()
        let (concurrent, alone) = try Self.predictConcurrently(model, seed: 14)
        #expect(model.isTraining, "predicting left the model in training mode")
        #expect(state() == before, "predicting wrote no running statistic or counter")
        #expect(concurrent == alone, "predictions made concurrently with a training-mode model differ from those in eval mode")
    }

    @Test func theDeviceThreadCountHoldsOnEveryThread() throws {
        let wanted = Device.default.threads
        let other: Int32 = wanted == 1 ? 2 : 1
        var g = SeededGenerator(seed: 3)
        let x = try Tensor.randomNormal([1, 16, 8, 8], generator: &g), w = try Tensor.randomNormal([16, 16, 3, 3], generator: &g)
        nonisolated(unsafe) var seen: Int32 = 0
        let done = DispatchSemaphore(value: 0)  // orders the thread's write before the read below (ThreadSanitizer)
        let thread = Thread {
            omp_set_num_threads(other)  // a thread whose own OpenMP setting differs, as any new thread's may
            _ = try? withoutGradients { try x.conv2d(weight: w, padding: 1).scalars }
            seen = omp_get_max_threads()
            done.signal()
        }
        thread.start()
        done.wait()
        #expect(Int(seen) == wanted, "an execution on another thread ran with \(seen) threads, not the device's \(wanted)")
    }

    @Test func aScopedDeviceComputesWithItsOwnThreadsAndCacheAndLeavesTheDefaultAlone() throws {
        let before = Device.default.threads
        let device = Device(threads: 1, primitiveCacheLimit: 64)
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 8, initializer: WeightInitializer(seed: 4))
        var g = SeededGenerator(seed: 5)
        let x = try Tensor.randomNormal([2, 3, 32, 32], generator: &g)
        model.eval()
        let onDefault = try model.predictProbabilities(x).scalars
        nonisolated(unsafe) var seen: Int32 = 0
        let onDevice = try device.withCurrent {
            #expect(Device.current === device)
            let p = try model.predictProbabilities(x).scalars
            // An execution on this device sets the calling thread's OpenMP team to the device's size.
            _ = try withoutGradients { try x.conv2d(weight: Tensor.ones([4, 3, 3, 3])).scalars }
            seen = omp_get_max_threads()
            return p
        }
        #expect(Device.current === Device.default, "the scope ended")
        #expect(seen == 1, "the scoped device's executions ran with \(seen) threads")
        #expect(device.cachedPrimitiveCount > 0 && device.cachedPrimitiveCount <= 64, "the device made its own primitives")
        #expect(Device.default.threads == before, "the default device kept its thread count")
        expectClose(onDevice, onDefault.map(Double.init), rtol: 1e-5, atol: 1e-6, "the same predictions on either device")
    }

    @Test func thePrimitiveCacheKeepsTheMostRecentlyUsedWithinItsLimit() throws {
        final class Plan {}
        let cache = PrimitiveCache(limit: 8)
        let first = try cache.plan(PrimitiveKey("k", numbers: [0])) { Plan() }
        for n in 1..<40 {
            _ = try cache.plan(PrimitiveKey("k", numbers: [n])) { Plan() }
            _ = try cache.plan(PrimitiveKey("k", numbers: [0])) { Plan() }  // key 0 stays in use
            #expect(cache.count <= 8)
        }
        #expect(try cache.plan(PrimitiveKey("k", numbers: [0])) { Plan() } === first, "the plan in use was kept")
        var made = false
        _ = try cache.plan(PrimitiveKey("k", numbers: [1])) { made = true; return Plan() }
        #expect(made, "an old plan was dropped")
    }

    @Test func predictingOnManyInputSizesStaysWithinTheCacheLimit() throws {
        let limit = Device.default.primitiveCacheLimit
        Device.default.primitiveCacheLimit = 16  // other tests running meanwhile only lose cached plans, not results
        defer { Device.default.primitiveCacheLimit = limit }
        let layer = try Conv2D(3, 4, kernel: 3, padding: 1, initializer: WeightInitializer(seed: 1))
        var g = SeededGenerator(seed: 2)
        for size in 8..<40 {
            let x = try Tensor.randomNormal([1, 3, size, size], generator: &g)
            let y = try layer.inferring { try layer(x) }
            #expect(y.shape == [1, 4, size, size])
            #expect(Device.default.cachedPrimitiveCount <= 16)
        }
    }

    @Test func theBufferPoolKeepsAtMostItsLimitAndEmptiesOnRequest() {
        let pool = BufferPool(cacheLimit: 1 << 20)
        let buffers = (0..<6).map { _ in pool.allocate(byteCount: 256 << 10) }
        for b in buffers { pool.release(b, byteCount: 256 << 10) }
        #expect(pool.cachedByteCount == 1 << 20, "four of six 256 KiB buffers are kept")
        pool.removeAll()
        #expect(pool.cachedByteCount == 0)
    }
}
