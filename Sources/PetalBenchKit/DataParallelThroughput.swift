// How fast data-parallel training runs across the ranks of a job, and where a step's time goes: computing the
// rank's part, waiting for the slowest rank, and combining the gradients (the all-reduce). Behind `petal bench`
// under mpirun and `make bench-distributed`.
import Foundation
import PetalNN
import PetalTrain

/// Data-parallel training speed over all ranks, as medians of rank 0's steps.
public struct DataParallelThroughput: Codable, Sendable {
    /// Ranks training together, and the images of one global batch.
    public let ranks: Int, globalBatch: Int
    /// Global batch × steps per second.
    public let imagesPerSecond: Double
    /// One whole step: forward, backward, combining, update.
    public let stepMilliseconds: Double
    /// Waiting at the start of the combination for the slowest rank to finish its backward pass.
    public let waitMilliseconds: Double
    /// The gradient all-reduce itself (packing, transfer, sum, unpacking).
    public let allReduceMilliseconds: Double
    /// The gradient values sent per step, in MB.
    public let gradientMegabytes: Double
    /// A step's forward and backward pass with an all-reduce of the gradients' size running on another thread at the
    /// same time (what overlapping communication with the backward pass could at best achieve), against the two one
    /// after the other; nil unless measured.
    public var overlappedMilliseconds: Double?, sequentialMilliseconds: Double?

    /// Times `steps` training steps (after one warm-up) of `model` on random input of the global batch shape
    /// `inputShape`, each rank computing its part, with plain SGD as ``Throughput`` uses.
    public static func measure(_ model: Module, classes: Int, inputShape: [Int], steps: Int, dataParallel: DataParallel,
                               seed: UInt64 = 1) throws -> DataParallelThroughput {
        guard steps > 0, inputShape.count == 4, inputShape[0] >= dataParallel.size else {
            throw TrainingError.invalidSetting("DataParallelThroughput.measure: steps must be positive and the global batch at least one image per rank")
        }
        let part = try DataShard(rank: dataParallel.rank, of: dataParallel.size).range(of: inputShape[0])
        var g = SeededGenerator(seed: seed &+ UInt64(dataParallel.rank))
        let batch = try Tensor.randomNormal([part.count] + inputShape.dropFirst(), generator: &g)
        let labels = part.map { $0 % classes }
        model.train()
        try dataParallel.broadcastState(of: model)
        let sgd = try SGD(parameters: model.parameters, learningRate: 0.01)
        var step: [Double] = [], wait: [Double] = [], reduce: [Double] = []
        for run in 0...steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            sgd.zeroGrad()
            try model(batch).softmaxCrossEntropy(labels: labels).backward()
            let t1 = DispatchTime.now().uptimeNanoseconds
            _ = try dataParallel.sum([0])
            let t2 = DispatchTime.now().uptimeNanoseconds
            try dataParallel.combineGradients(sgd.parameters, normaliser: Double(part.count))
            let t3 = DispatchTime.now().uptimeNanoseconds
            try sgd.step()
            let t4 = DispatchTime.now().uptimeNanoseconds
            if run > 0 { (step, wait, reduce) = (step + [Double(t4 - t0)], wait + [Double(t2 - t1)], reduce + [Double(t3 - t2)]) }
        }
        func medianMilliseconds(_ x: [Double]) -> Double { x.sorted()[x.count / 2] / 1e6 }
        let stepMs = medianMilliseconds(step)
        var result = DataParallelThroughput(ranks: dataParallel.size, globalBatch: inputShape[0], imagesPerSecond: Double(inputShape[0]) / stepMs * 1000,
                                            stepMilliseconds: stepMs, waitMilliseconds: medianMilliseconds(wait),
                                            allReduceMilliseconds: medianMilliseconds(reduce), gradientMegabytes: Double(model.parameterCount * 4) / 1e6)
        (result.overlappedMilliseconds, result.sequentialMilliseconds) = try overlap(model, batch, labels, dataParallel.communicator, steps: steps)
        return result
    }

    /// Times forward + backward with an all-reduce of the gradients' size on a second thread at the same time, and the
    /// two one after the other. The main thread makes no MPI call while the other does.
    static func overlap(_ model: Module, _ batch: Tensor, _ labels: [Int], _ communicator: Communicator, steps: Int) throws -> (Double, Double) {
        final class Buffer: @unchecked Sendable { var values: [Float]; init(_ n: Int) { values = [Float](repeating: 1, count: n) } }
        let buffer = Buffer(model.parameterCount)
        func compute() throws { try model(batch).softmaxCrossEntropy(labels: labels).backward() }
        let reduce: @Sendable () -> Void = { buffer.values.withUnsafeMutableBufferPointer { try? communicator.allReduceSum(buckets: [$0]) } }
        var together: [Double] = [], apart: [Double] = []
        for run in 0...steps {
            _ = try communicator.allReduceSum([0])  // start each measurement together on every rank
            var t0 = DispatchTime.now().uptimeNanoseconds
            let done = DispatchSemaphore(value: 0)
            Thread { reduce(); done.signal() }.start()
            try compute()
            done.wait()
            let overlapped = DispatchTime.now().uptimeNanoseconds - t0
            _ = try communicator.allReduceSum([0])
            t0 = DispatchTime.now().uptimeNanoseconds
            try compute()
            reduce()
            let sequential = DispatchTime.now().uptimeNanoseconds - t0
            if run > 0 { (together, apart) = (together + [Double(overlapped)], apart + [Double(sequential)]) }
        }
        return (together.sorted()[together.count / 2] / 1e6, apart.sorted()[apart.count / 2] / 1e6)
    }
}
