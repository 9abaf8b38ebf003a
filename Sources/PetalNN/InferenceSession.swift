// Inference as `petal predict` runs it: the model's fused inference (FusedInference.swift), and for single images a
// recording of it (`RecordedFunction`), which skips the per-op Swift work that is about a tenth of a batch-1
// prediction. The recording is redone whenever a weight, a running statistic, or a convolution's precision,
// algorithm or single-image layout changes, so a session always gives what the model itself would.
import Foundation
import PetalTensor

/// Runs a model in inference mode (eval, no gradients), replaying a recorded forward pass for single images.
///
/// Batches of more than one image run the model directly: per-op overhead is a small share of their time, and a
/// recording would keep all of a batch's intermediate buffers. Models whose forward pass does not replay (work
/// done in Swift on the input, see `RecordedFunction`) also run directly; ``replays(inputShape:)`` tells.
/// Use a session from one thread at a time, as the model itself.
public final class InferenceSession {
    /// The model the session runs.
    public let model: Module
    /// The model's fused inference, which the recordings replay.
    private let fused: FusedInference
    private var recordings: [[Int]: (function: RecordedFunction?, generation: Int)] = [:]

    /// A session for `model`; recordings are made on the first single-image call of each input shape.
    /// - Parameter model: any module; its weights, statistics and convolution settings may change between calls.
    public init(_ model: Module) {
        self.model = model
        fused = model.fusedForInference()
    }

    /// The model's output (logits for a classifier) for `x`; the model is left in the mode it was in.
    /// - Throws: what the model throws for an input it cannot take (wrong shape or channels).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[0] == 1 else { return try fused(x) }
        let generation = fused.generation()
        if let entry = recordings[x.shape], entry.generation == generation { return try entry.function.map { try $0(x) } ?? fused(x) }
        let function = try RecordedFunction.record(inputShape: x.shape) { try fused($0) }
        recordings[x.shape] = (function, generation)
        return try function.map { try $0(x) } ?? fused(x)
    }

    /// Softmax probabilities [N, classes] of a classifier's logits.
    public func probabilities(_ x: Tensor) throws -> Tensor { try self(x).softmax() }

    /// Whether calls with inputs of `inputShape` replay a recording (after the first such call made it).
    public func replays(inputShape: [Int]) -> Bool {
        recordings[inputShape]?.function != nil
    }
}
