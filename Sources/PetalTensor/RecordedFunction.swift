// A function of one tensor, recorded once as the oneDNN work a call of it did and afterwards run by replaying that
// work into the same buffers: what ONNX Runtime's sessions and CUDA graphs do. A replay skips the Swift work of each
// eager op (shape checks, plan and layout lookups, allocation), about a tenth of a batch-1 ResNet-18 prediction.
import CDNNL

/// `body` recorded for inputs of one shape, and replayed on each call.
///
/// Only work done by oneDNN primitives (and Petal's same-layout copies) is recorded; constants that `body` computes
/// in Swift are captured as they were. So ``record(inputShape:_:)`` checks the recording: it runs `body` and the
/// replay on a second input and keeps the recording only if both agree. A `body` that computes on its input in
/// Swift (an elementwise op, a matrix product on `sgemm`) does not replay, and `record` returns nil.
///
/// A recording keeps every intermediate buffer of one call (a few MB for a batch-1 ResNet-18) and sees the
/// weights as they were: redo it after the weights change. Calls are serialised by the device.
public final class RecordedFunction: @unchecked Sendable {
    public let inputShape: [Int]
    public let outputShape: [Int]
    private let recording: ExecutionRecording
    /// The buffer the replay reads its input from, and the one it leaves its output in (their tensors keep them).
    private let input: Tensor, output: Tensor
    private let inputValues: UnsafeMutablePointer<Float>, outputValues: UnsafeMutablePointer<Float>
    private let device = Device.current

    private init(recording: ExecutionRecording, input: Tensor, output: Tensor) {
        self.recording = recording
        (self.input, self.output) = (input, output)
        (inputShape, outputShape) = (input.shape, output.shape)
        inputValues = input.storage.plain
        outputValues = output.storage.plain
    }

    /// Records `body` (called without gradients) for inputs of `inputShape`, after one unrecorded warm-up call (on
    /// another input) that lets it convert its constants (weights into their kernels' layouts) outside the recording.
    /// - Returns: nil when a replay does not reproduce `body` on a second input (see the type's description).
    /// - Throws: whatever `body` throws.
    public static func record(inputShape: [Int], _ body: (Tensor) throws -> Tensor) throws -> RecordedFunction? {
        var g = SeededGenerator(seed: 0x5EC0)
        let first = try Tensor.randomNormal(inputShape, generator: &g), second = try Tensor.randomNormal(inputShape, generator: &g)
        return try withoutGradients {
            _ = try body(second)  // not `first`: its layout conversions must happen inside the recording
            let recording = ExecutionRecording()
            let (input, output) = try Device.current.record(into: recording) {
                let output = try body(first)
                _ = output.storage.plain  // the conversion to row-major order, if any, is part of the recording
                return (first, output)
            }
            recording.accumulateInPlace(sparing: [UnsafeMutableRawPointer(input.storage.plain), UnsafeMutableRawPointer(output.storage.plain)])
            let replayed = RecordedFunction(recording: recording, input: input, output: output)
            let expected = try body(second).scalars, got = try replayed(second).scalars
            // Same primitives on the same values: equal up to the order of a kernel's sums. Values computed in Swift
            // from the input would be those of `first` and differ by far more.
            let scale = expected.reduce(Float(1)) { max($0, abs($1)) }
            guard zip(expected, got).allSatisfy({ abs($0 - $1) <= 1e-5 * scale }) else { return nil }
            return replayed
        }
    }

    /// `body` of `x`, replayed. The result is a new tensor (nothing is recorded for autodiff).
    /// - Throws: `TensorError.shapeMismatch` unless `x` has the recorded input shape.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.shape == inputShape else {
            throw TensorError.shapeMismatch(op: "RecordedFunction", message: "recorded for input \(describe(inputShape)), got \(describe(x.shape))")
        }
        let source = x.storage.plain
        return Tensor.make(outputShape) { out in
            device.executionLock.withLock {
                inputValues.update(from: source, count: input.count)
                recording.replay(on: device)
                out.baseAddress!.update(from: outputValues, count: output.count)
            }
        }
    }

    /// Steps replayed per call (oneDNN executions and copies).
    public var stepCount: Int { recording.steps.count }

    /// How many of them are copies (residuals that a later step still reads; see `accumulateInPlace`).
    var copyCount: Int { recording.steps.filter { if case .copy = $0 { true } else { false } }.count }
}
