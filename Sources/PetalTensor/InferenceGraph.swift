// A model's inference computation as data: a list of operations on named values. It is never written by hand: the
// ops append to it while a `GraphTracer` watches one eval-mode forward pass (GraphTracer.swift). Exporters (ONNX)
// turn it into their format; PetalNN folds batch norms into it and runs it fused.

/// How a convolution is computed, as opposed to what it computes: the arithmetic, the algorithm and the batch-1
/// layout (the settings of a `Conv2D` layer, carried by a traced graph so that running the graph computes as the
/// layer does).
public struct ConvolutionSettings: Hashable, Sendable {
    /// fp32, or bf16 mixed precision (see ``Precision``).
    public var precision: Precision
    /// Winograd where it pays, or always the direct sum (see ``ConvolutionAlgorithm``).
    public var algorithm: ConvolutionAlgorithm
    /// fp32 inference on a single image runs channels-last kernels instead of 16-channel blocks.
    public var singleImageChannelsLast: Bool

    /// - Parameters: as the arguments of the same names of ``Tensor/conv2d(weight:bias:stride:padding:dilation:groups:precision:algorithm:singleImageChannelsLast:)``.
    public init(precision: Precision = .fp32, algorithm: ConvolutionAlgorithm = .auto, singleImageChannelsLast: Bool = true) {
        (self.precision, self.algorithm, self.singleImageChannelsLast) = (precision, algorithm, singleImageChannelsLast)
    }
}

/// One operation of an ``InferenceGraph``, with its weights.
public enum GraphOperation {
    /// 2-D convolution, NCHW, weight [out, in / groups, kh, kw].
    case convolution(weight: Tensor, bias: Tensor?, stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int, settings: ConvolutionSettings)
    /// Batch normalisation with running statistics: scale·(x − mean)/√(variance + ε) + shift per channel.
    case batchNorm(scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, epsilon: Float)
    /// Layer normalisation over the channels: scale·(x − μ)/√(σ² + ε) + shift with each position's own statistics
    /// (axis 1 of [N, C, H, W], the last axis of [N, C]).
    case layerNorm(scale: Tensor, shift: Tensor, epsilon: Float)
    /// Each channel multiplied by its own constant factor [C] (ConvNeXt's layer scale).
    case channelScale(Tensor)
    /// max(x, 0).
    case relu
    /// Another elementwise activation (sigmoid, hard-sigmoid, hard-swish, SiLU, GELU).
    case activation(Activation)
    /// The sum of the two inputs (same shape).
    case add
    /// The product of the two inputs, the second broadcast into the first's shape (a channel gate [N, C, 1, 1]).
    case multiply
    /// Constant padding of height and width, each side on its own ([N, C, H, W] → [N, C, H + top + bottom, W + left + right]).
    case pad(top: Int, left: Int, bottom: Int, right: Int, value: Float)
    /// Max pooling (padding counts as −∞).
    case maxPool(kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool)
    /// Average pooling.
    case averagePool(kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool, countIncludePad: Bool)
    /// The mean over height and width: [N, C, H, W] → [N, C].
    case globalAveragePool
    /// [N, …] → [N, product of the rest].
    case flatten
    /// x · Wᵀ + b for x [N, in] or [N, T, in], weight [out, in] (PyTorch's Linear).
    case dense(weight: Tensor, bias: Tensor?)
    /// Softmax over the last axis of [N, C].
    case softmax
    /// Patch embeddings [N, D, h, w] → tokens [N, 1 + h·w, D]: a constant class token [1, 1, D] first, then the
    /// patches row by row, plus constant position embeddings [1, 1 + h·w, D].
    case patchTokens(classToken: Tensor, positions: Tensor)
    /// Multi-head self-attention over tokens [N, T, D] (PyTorch's `nn.MultiheadAttention` with stacked projections).
    case selfAttention(inWeight: Tensor, inBias: Tensor, outWeight: Tensor, outBias: Tensor, heads: Int)
    /// [N, T, D] → [N, D]: each item's first token.
    case firstToken

    /// A short lower-case name, used to name nodes ("conv", "relu", …).
    public var kind: String {
        switch self {
        case .convolution: "conv"
        case .batchNorm: "bn"
        case .layerNorm: "layernorm"
        case .channelScale: "scale"
        case .relu: "relu"
        case .activation(let a): a.rawValue.lowercased()
        case .add: "add"
        case .multiply: "mul"
        case .pad: "pad"
        case .maxPool: "maxpool"
        case .averagePool: "avgpool"
        case .globalAveragePool: "avgpool"
        case .flatten: "flatten"
        case .dense: "fc"
        case .softmax: "softmax"
        case .patchTokens: "tokens"
        case .selfAttention: "attention"
        case .firstToken: "first_token"
        }
    }
}

/// A node: an operation reading named values and writing the value named after the node.
public struct GraphNode {
    /// The node's name, which is also the name of the value it writes (module paths: `layer1.0.conv1`).
    public let name: String
    /// What the node computes, with its constants.
    public let operation: GraphOperation
    /// The names of the values read, in the operation's order (the graph input is `input`).
    public let inputs: [String]
    /// The shape of the value written, as traced (its batch size is the traced input's): exporters read ranks from it.
    public let shape: [Int]

    /// - Parameters: the node's name (also its value's), its operation, the names of the values it reads and the
    ///   shape of the value it writes.
    public init(name: String, operation: GraphOperation, inputs: [String], shape: [Int]) {
        (self.name, self.operation, self.inputs, self.shape) = (name, operation, inputs, shape)
    }
}

/// A model's eval-mode computation from one input to one output.
public struct InferenceGraph {
    /// The input value's name.
    public static let inputName = "input"
    /// The nodes in an order that computes every input before its use.
    public let nodes: [GraphNode]
    /// The name of the value the graph returns.
    public let output: String

    /// - Parameters: the nodes in an order that computes every input before its use, and the name of the result.
    public init(nodes: [GraphNode], output: String) { (self.nodes, self.output) = (nodes, output) }

    /// Multiply-adds of one pass per image: the convolutions', linear layers' and attention's (what torchvision's published
    /// "GFLOPS" count; the elementwise ops, norms and pooling, a few per cent, are left out as there).
    public var multiplyAdds: Int {
        let total = nodes.reduce(0) { sum, node in
            switch node.operation {
            case .convolution(let w, _, _, _, _, _, _): sum + node.shape.reduce(1, *) * w.shape.dropFirst().reduce(1, *)
            case .dense(let w, _): sum + node.shape.reduce(1, *) * w.shape[1]
            case .selfAttention:  // the projections, q·kᵀ and the weighted values: N·(4·T·D² + 2·T²·D)
                sum + node.shape[0] * (4 * node.shape[1] * node.shape[2] * node.shape[2] + 2 * node.shape[1] * node.shape[1] * node.shape[2])
            default: sum
            }
        }
        return total / max(nodes.first?.shape.first ?? 1, 1)
    }

    /// How many times each value is read (by nodes, and once more for the graph's output).
    public var useCounts: [String: Int] {
        var uses = [output: 1]
        for node in nodes { for input in node.inputs { uses[input, default: 0] += 1 } }
        return uses
    }
}
