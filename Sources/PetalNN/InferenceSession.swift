// Inference as `petal predict` runs it. Single images go through a recording of the model's forward pass
// (`RecordedFunction`), which skips the per-op Swift work that is about a tenth of a batch-1 prediction; the
// recording is redone whenever a weight, a running statistic, or a convolution's precision, algorithm or
// single-image layout changes, so a session always gives what the model itself would.
import Foundation
import PetalTensor

/// Runs a model in inference mode (eval, no gradients), replaying a recorded forward pass for single images.
///
/// Batches of more than one image run the model directly: per-op overhead is a small share of their time, and a
/// recording would keep all of a batch's intermediate buffers. Models whose forward pass does not replay (work
/// done in Swift on the input, see ``RecordedFunction``) also run directly; ``replays(inputShape:)`` tells.
/// Use a session from one thread at a time, as the model itself.
public final class InferenceSession {
    /// The model the session runs.
    public let model: Module
    /// The tensors a forward pass reads (parameters and buffers) and the convolutions whose precision it uses.
    private let state: [Tensor]
    private let convolutions: [Conv2D]
    private var recordings: [[Int]: (function: RecordedFunction?, signature: Signature)] = [:]

    /// What a recording depends on besides the input: when any of it changes, the recording is redone.
    private struct Signature: Equatable {
        var revisions: [Tensor.Revision]
        var precisions: [Precision]
        var algorithms: [ConvolutionAlgorithm]
        var singleImageChannelsLast: [Bool]
    }

    /// A session for `model`; recordings are made on the first single-image call of each input shape.
    /// - Parameter model: any module; its weights, statistics and convolution settings may change between calls.
    public init(_ model: Module) {
        self.model = model
        state = model.stateDict.map(\.tensor)
        convolutions = model.namedModules.compactMap { $0.module as? Conv2D }
    }

    /// The model's output (logits for a classifier) for `x`; the model is left in the mode it was in.
    /// - Throws: what the model throws for an input it cannot take (wrong shape or channels).
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[0] == 1 else { return try direct(x) }
        let signature = currentSignature()
        let entry = recordings[x.shape]
        if let entry, entry.signature == signature { return try entry.function.map { try $0(x) } ?? direct(x) }
        let function = try model.inferring { try RecordedFunction.record(inputShape: x.shape) { try model($0) } }
        recordings[x.shape] = (function, signature)
        return try function.map { try $0(x) } ?? direct(x)
    }

    /// Softmax probabilities [N, classes] of a classifier's logits.
    public func probabilities(_ x: Tensor) throws -> Tensor { try self(x).softmax() }

    /// Whether calls with inputs of `inputShape` replay a recording (after the first such call made it).
    public func replays(inputShape: [Int]) -> Bool {
        recordings[inputShape]?.function != nil
    }

    private func direct(_ x: Tensor) throws -> Tensor {
        try model.inferring { try model(x) }
    }

    private func currentSignature() -> Signature {
        Signature(revisions: state.map(\.revision), precisions: convolutions.map(\.precision),
                  algorithms: convolutions.map(\.algorithm), singleImageChannelsLast: convolutions.map(\.singleImageChannelsLast))
    }
}
