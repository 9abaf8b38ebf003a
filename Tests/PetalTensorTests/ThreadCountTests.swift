// oneDNN sizes a primitive's per-thread scratch space (and splits its work) for the OpenMP thread count current when
// the primitive is made, and must not run it with more threads than that. OpenMP's count is per calling thread, and a
// thread that last ran work for a one-thread device keeps 1: a primitive it then made for a two-thread device ran
// with two threads on scratch space booked for one, which oneDNN's threading contract forbids.
import CDNNL
import Foundation
import Testing
@testable import PetalTensor

@Suite struct ThreadCountTests {
    /// Runs `body` on a new thread whose OpenMP thread count is `openMPThreads`.
    static func onThread<R: Sendable>(openMPThreads: Int32, _ body: @escaping @Sendable () throws -> R) throws -> R {
        nonisolated(unsafe) var result: Result<R, any Error>?
        let done = DispatchSemaphore(value: 0)
        Thread {
            omp_set_num_threads(openMPThreads)
            result = Result { try body() }
            done.signal()
        }.start()
        done.wait()
        return try result!.get()
    }

    /// The scratch space of a training batch norm's forward and backward primitives (each thread reduces a part of the
    /// batch into it), made for a fresh two-thread device on a thread whose OpenMP count is `openMPThreads`.
    static func batchNormScratchpads(openMPThreads: Int32) throws -> [Int] {
        try onThread(openMPThreads: openMPThreads) {
            try Device(threads: 2).withCurrent {
                let plan = try BatchNormPlan(data: .plain([16, 64, 14, 14]), epsilon: 1e-5,
                                             flags: dnnl_use_scale.rawValue | dnnl_use_shift.rawValue, training: true)
                return [plan.forward.scratchpadByteCount, try plan.backward().scratchpadByteCount]
            }
        }
    }

    @Test func aPrimitiveIsMadeForItsDevicesThreadsWhateverTheCallingThreadRanBefore() throws {
        let asTheDevice = try Self.batchNormScratchpads(openMPThreads: 2)
        let afterOneThreadWork = try Self.batchNormScratchpads(openMPThreads: 1)
        #expect(asTheDevice.allSatisfy { $0 > 0 })
        #expect(afterOneThreadWork == asTheDevice, "made for the calling thread's 1 thread instead of the device's 2")
        // And the other way: a one-thread device's primitive made on a thread that last ran two-thread work.
        let oneThreadDevice = try onThreadBatchNorm(device: 1, callingThread: 2), oneThreadReference = try onThreadBatchNorm(device: 1, callingThread: 1)
        #expect(oneThreadDevice == oneThreadReference)
    }

    private func onThreadBatchNorm(device threads: Int, callingThread: Int32) throws -> Int {
        try Self.onThread(openMPThreads: callingThread) {
            try Device(threads: threads).withCurrent {
                try BatchNormPlan(data: .plain([16, 64, 14, 14]), epsilon: 1e-5, flags: dnnl_use_scale.rawValue | dnnl_use_shift.rawValue,
                                  training: true).forward.scratchpadByteCount
            }
        }
    }
}
