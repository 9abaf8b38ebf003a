// Inference folds a batch norm into the convolution before it: with s = γ / √(σ² + ε) per output channel,
// BN(conv(x)) = conv'(x) where w' = w·s and b' = (b − μ)·s + β. The folded copy is made once and reused until a
// weight, bias or running statistic is written (their `revision` changes), so an inference pass costs one
// convolution per conv–BN pair, and the ReLU and residual sum ride along as oneDNN post-ops.
import PetalTensor

/// A convolution's weight and bias with the batch norm that follows it folded in, cached.
final class FoldedBatchNorm {
    private var sources: [Tensor] = []  // held, so the revisions below cannot be reused by new storage
    private var revisions: [Tensor.Revision] = []
    private var folded: (weight: Tensor, bias: Tensor)?

    func weightAndBias(_ conv: Conv2D, _ bn: BatchNorm2D) throws -> (weight: Tensor, bias: Tensor) {
        let inputs = [conv.weight, conv.bias, bn.parameter("weight"), bn.parameter("bias"),
                      bn.buffer("running_mean"), bn.buffer("running_var")].compactMap { $0 }
        if let folded, inputs.map(\.revision) == revisions { return folded }
        let (gamma, beta, mean, variance) = (inputs[inputs.count - 4].scalars, inputs[inputs.count - 3].scalars,
                                             inputs[inputs.count - 2].scalars, inputs[inputs.count - 1].scalars)
        let scale = (0..<bn.channels).map { gamma[$0] / (variance[$0] + bn.epsilon).squareRoot() }
        let bias = conv.bias?.scalars ?? [Float](repeating: 0, count: bn.channels)
        let perChannel = conv.weight.count / conv.outChannels
        var weight = conv.weight.scalars
        for o in 0..<conv.outChannels { for i in o * perChannel..<(o + 1) * perChannel { weight[i] *= scale[o] } }
        let result = (weight: try Tensor(shape: conv.weight.shape, scalars: weight),
                      bias: try Tensor(shape: [bn.channels], scalars: (0..<bn.channels).map { (bias[$0] - mean[$0]) * scale[$0] + beta[$0] }))
        (sources, revisions, folded) = (inputs, inputs.map(\.revision), result)
        return result
    }
}
