// Inference folds a batch norm into the convolution before it: with s = γ / √(σ² + ε) per output channel,
// BN(conv(x)) = conv'(x) where w' = w·s and b' = (b − μ)·s + β. A pass over a traced graph, so it applies to every
// model, whatever its blocks are called.
import PetalTensor

extension InferenceGraph {
    /// This graph with each batch norm that reads a convolution's output, and is its only reader, folded into the
    /// convolution's weight and bias (the folded convolution keeps the convolution's name).
    /// - Throws: `TensorError` when a batch norm's channels differ from the convolution's outputs.
    public func foldingBatchNorms() throws -> InferenceGraph {
        let uses = useCounts
        var folded: [GraphNode] = [], producer: [String: Int] = [:], renamed: [String: String] = [:]
        for node in nodes {
            let inputs = node.inputs.map { renamed[$0] ?? $0 }
            if case .batchNorm(let scale, let shift, let mean, let variance, let epsilon) = node.operation,
               uses[inputs[0]] == 1, let i = producer[inputs[0]],
               case .convolution(let weight, let bias, let stride, let padding, let dilation, let groups, let settings) = folded[i].operation {
                let (w, b) = try foldBatchNorm(weight: weight, bias: bias, scale: scale, shift: shift, mean: mean, variance: variance, epsilon: epsilon)
                folded[i] = GraphNode(name: folded[i].name, operation: .convolution(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation,
                                                                                    groups: groups, settings: settings), inputs: folded[i].inputs,
                                      shape: folded[i].shape)
                renamed[node.name] = folded[i].name
                continue
            }
            producer[node.name] = folded.count
            folded.append(GraphNode(name: node.name, operation: node.operation, inputs: inputs, shape: node.shape))
        }
        return InferenceGraph(nodes: folded, output: renamed[output] ?? output)
    }
}

/// The weight and bias of a convolution followed by a batch norm with running statistics.
func foldBatchNorm(weight: Tensor, bias: Tensor?, scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor,
                   epsilon: Float) throws -> (weight: Tensor, bias: Tensor) {
    let out = weight.shape[0]
    guard scale.shape == [out] else {
        throw TensorError.shapeMismatch(op: "foldBatchNorm", message: "a batch norm of \(scale.count) channels follows a convolution of \(out) outputs")
    }
    let (g, b, m, v) = (scale.scalars, shift.scalars, mean.scalars, variance.scalars)
    let s = (0..<out).map { g[$0] / (v[$0] + epsilon).squareRoot() }
    let convBias = bias?.scalars ?? [Float](repeating: 0, count: out)
    let perChannel = weight.count / out
    var w = weight.scalars
    for o in 0..<out { for i in o * perChannel..<(o + 1) * perChannel { w[i] *= s[o] } }
    return (try Tensor(shape: weight.shape, scalars: w), try Tensor(shape: [out], scalars: (0..<out).map { (convBias[$0] - m[$0]) * s[$0] + b[$0] }))
}
