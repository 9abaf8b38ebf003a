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

    /// Drops the copy of a residual into a fused convolution's output (its sum post-op accumulates there) wherever no
    /// later step reads the residual: the convolution then accumulates into the residual's own buffer, and every later
    /// step reads that buffer instead of the output's. A batch-1 ResNet-18 prediction loses eight 32–160 KB copies.
    /// `protected` buffers (the recording's input and output) are never repurposed.
    func accumulateInPlace(sparing protected: Set<UnsafeMutableRawPointer>) {
        var i = 0
        while i + 1 < steps.count {
            guard case let .copy(residual, output, _) = steps[i], case let .execute(_, args) = steps[i + 1],
                  let outputArg = args.first(where: { $0.arg == Arg.dst && Self.data($0.memory) == output }),
                  !protected.contains(residual), !protected.contains(output),
                  !steps[..<i].contains(where: { $0.touches(output) }), !steps[(i + 1)...].contains(where: { $0.touches(residual) }) else {
                i += 1
                continue
            }
            dnnlMust(dnnl_memory_set_data_handle(outputArg.memory, residual), "memory_set_data_handle")
            for k in (i + 1)..<steps.count { steps[k] = steps[k].reading(residual, insteadOf: output) }
            steps.remove(at: i)
        }
    }

    static func data(_ memory: dnnl_memory_t?) -> UnsafeMutableRawPointer? {
        var p: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(memory, &p)
        return p
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

extension ExecutionRecording.Step {
    func touches(_ buffer: UnsafeMutableRawPointer) -> Bool {
        switch self {
        case let .execute(_, args): args.contains { ExecutionRecording.data($0.memory) == buffer }
        case let .copy(from, to, _): from == buffer || to == buffer
        }
    }

    /// This step with `old` replaced by `new`. A memory object names its buffer in oneDNN, so an execution is
    /// repointed by repointing its memory objects, which every step naming them shares.
    func reading(_ new: UnsafeMutableRawPointer, insteadOf old: UnsafeMutableRawPointer) -> Self {
        switch self {
        case let .execute(_, args):
            for a in args where ExecutionRecording.data(a.memory) == old {
                dnnlMust(dnnl_memory_set_data_handle(a.memory, new), "memory_set_data_handle")
            }
            return self
        case let .copy(from, to, bytes):
            return .copy(from: from == old ? new : from, to: to == old ? new : to, bytes: bytes)
        }
    }
}
