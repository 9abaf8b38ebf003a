// Inference folds a batch norm into the convolution before it: with s = γ / √(σ² + ε) per output channel,
// BN(conv(x)) = conv'(x) where w' = w·s and b' = (b − μ)·s + β. The folded copy is made once and reused until a
// weight, bias or running statistic is written (their `revision` changes), so an inference pass costs one
// convolution per conv–BN pair, and the ReLU and residual sum ride along as oneDNN post-ops.
import Foundation
import PetalTensor

/// A convolution's weight and bias with the batch norm that follows it folded in, cached (under a lock: two threads
/// may run one model).
final class FoldedBatchNorm: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [Tensor] = []  // held, so the revisions below cannot be reused by new storage
    private var revisions: [Tensor.Revision] = []
    private var folded: (weight: Tensor, bias: Tensor)?

    func weightAndBias(_ conv: Conv2D, _ bn: BatchNorm2D) throws -> (weight: Tensor, bias: Tensor) {
        lock.lock()
        defer { lock.unlock() }
        let (gamma, beta, mean, variance) = (bn.weight, bn.bias, bn.runningMean, bn.runningVariance)
        let inputs = [conv.weight, gamma, beta, mean, variance] + (conv.bias.map { [$0] } ?? [])
        if let folded, inputs.map(\.revision) == revisions { return folded }
        let (g, b, m, v) = (gamma.scalars, beta.scalars, mean.scalars, variance.scalars)
        let scale = (0..<bn.channels).map { g[$0] / (v[$0] + bn.epsilon).squareRoot() }
        let convBias = conv.bias?.scalars ?? [Float](repeating: 0, count: bn.channels)
        let perChannel = conv.weight.count / conv.outChannels
        var weight = conv.weight.scalars
        for o in 0..<conv.outChannels { for i in o * perChannel..<(o + 1) * perChannel { weight[i] *= scale[o] } }
        let result = (weight: try Tensor(shape: conv.weight.shape, scalars: weight),
                      bias: try Tensor(shape: [bn.channels], scalars: (0..<bn.channels).map { (convBias[$0] - m[$0]) * scale[$0] + b[$0] }))
        (sources, revisions, folded) = (inputs, inputs.map(\.revision), result)
        return result
    }
}
