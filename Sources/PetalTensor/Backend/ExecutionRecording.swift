// What one thread asked oneDNN to do, in order, while a recording was on: the primitives with the exact memory
// objects they read and wrote, and the small same-layout copies done in Swift. Replaying it redoes the same
// arithmetic into the same buffers and skips everything Swift did to decide it (shape checks, plan and layout
// lookups, allocation), which is about a tenth of a batch-1 ResNet-18 prediction.
import CDNNL
import Foundation

final class ExecutionRecording: @unchecked Sendable {
    enum Step {
        case execute(Primitive, [dnnl_exec_arg_t])
        case copy(from: UnsafeMutableRawPointer, to: UnsafeMutableRawPointer, bytes: Int)
    }

    /// The thread whose executions are recorded (others, such as a data loader's, go on unrecorded).
    let thread = pthread_self()
    private(set) var steps: [Step] = []
    /// Every memory a step names, kept alive (and so never recycled) as long as the recording exists.
    private var kept: [Memory] = []

    func record(_ primitive: Primitive, _ args: [dnnl_exec_arg_t], keeping memories: [Memory]) {
        steps.append(.execute(primitive, args))
        kept += memories
    }

    func recordCopy(from src: Memory, to dst: Memory) {
        steps.append(.copy(from: src.data, to: dst.data, bytes: src.desc.byteCount))
        kept += [src, dst]
    }

    /// Redoes every step in order. Call under the device's execution lock.
    func replay(on device: Device) {
        for step in steps {
            switch step {
            case let .execute(primitive, args):
                let status = primitive.run(args, device: device)
                precondition(status == dnnl_success, "oneDNN \(primitive.implementation) failed in a replay (status \(status.rawValue))")
            case let .copy(from, to, bytes):
                to.copyMemory(from: from, byteCount: bytes)
            }
        }
    }
}
