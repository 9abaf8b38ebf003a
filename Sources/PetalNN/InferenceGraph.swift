// A model's inference computation as data: a list of operations on named values, written by each module the way its
// forward pass computes in eval mode. Exporters (ONNX) turn it into their format; keeping it here lets every block
// describe itself next to its forward pass, with its internals, and keeps file formats out of PetalNN.
import Foundation

/// One operation of an ``InferenceGraph``, with its weights.
public enum GraphOperation {
    /// 2-D convolution, NCHW, weight [out, in / groups, kh, kw].
    case convolution(weight: Tensor, bias: Tensor?, stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int)
    /// Batch normalisation with running statistics: scale·(x − mean)/√(variance + ε) + shift per channel.
    case batchNorm(scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, epsilon: Float)
    /// max(x, 0).
    case relu
    /// The sum of the two inputs (same shape).
    case add
    /// Max pooling (padding counts as −∞).
    case maxPool(kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool)
    /// Average pooling.
    case averagePool(kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool, countIncludePad: Bool)
    /// The mean over height and width: [N, C, H, W] → [N, C].
    case globalAveragePool
    /// [N, …] → [N, product of the rest].
    case flatten
    /// x · Wᵀ + b for x [N, in], weight [out, in] (PyTorch's Linear).
    case dense(weight: Tensor, bias: Tensor?)
    /// Softmax over the last axis of [N, C].
    case softmax
}

/// A node: an operation reading named values and writing the value named after the node.
public struct GraphNode {
    /// The node's name, which is also the name of the value it writes (module paths: `layer1.0.conv1`).
    public let name: String
    /// What the node computes, with its constants.
    public let operation: GraphOperation
    /// The names of the values read, in the operation's order (the graph input is `input`).
    public let inputs: [String]
}

/// A model's eval-mode computation from one input to one output.
public struct InferenceGraph {
    /// The input value's name.
    public static let inputName = "input"
    /// The nodes in an order that computes every input before its use.
    public let nodes: [GraphNode]
    /// The name of the value the graph returns.
    public let output: String
    /// Whether batch norms that follow convolutions were folded into them.
    public let foldsBatchNorm: Bool
}

/// Collects the nodes while modules describe themselves (``Module/appendInferenceGraph(to:input:path:)``).
public final class InferenceGraphBuilder {
    /// Fold a batch norm that follows a convolution into the convolution's weight and bias (what Petal computes in
    /// inference); otherwise batch norms are nodes of their own.
    public let foldsBatchNorm: Bool
    private(set) var nodes: [GraphNode] = []
    private var used: Set<String> = [InferenceGraph.inputName]

    /// - Parameter foldsBatchNorm: fold each batch norm that follows a convolution into it, as Petal computes inference.
    public init(foldsBatchNorm: Bool) { self.foldsBatchNorm = foldsBatchNorm }

    /// Adds a node named `name` (made unique) and returns the name of its value.
    @discardableResult
    public func add(_ operation: GraphOperation, inputs: [String], name: String) -> String {
        var unique = name.isEmpty ? "node" : name, k = 1
        while used.contains(unique) { unique = "\(name)_\(k)"; k += 1 }
        used.insert(unique)
        nodes.append(GraphNode(name: unique, operation: operation, inputs: inputs))
        return unique
    }
}

extension Module {
    /// This model's eval-mode computation as an ``InferenceGraph``.
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` naming a module that cannot describe itself.
    public func inferenceGraph(foldingBatchNorm: Bool = true) throws -> InferenceGraph {
        let builder = InferenceGraphBuilder(foldsBatchNorm: foldingBatchNorm)
        let output = try appendInferenceGraph(to: builder, input: InferenceGraph.inputName, path: "")
        return InferenceGraph(nodes: builder.nodes, output: output, foldsBatchNorm: foldingBatchNorm)
    }

    /// The dotted path of child `name` under `path`.
    func childPath(_ path: String, _ name: String) -> String { path.isEmpty ? name : path + "." + name }
}

extension Conv2D {
    /// This convolution followed by `batchNorm`, a `residual` sum and a ReLU, as ``callAsFunction(_:then:adding:relu:)``
    /// computes it in inference.
    func appendInferenceGraph(to g: InferenceGraphBuilder, input: String, path: String, then batchNorm: BatchNorm2D?, batchNormPath: String,
                              adding residual: String? = nil, relu: Bool = false) throws -> String {
        var y: String
        if let batchNorm, g.foldsBatchNorm {
            let (w, b) = try folding.weightAndBias(self, batchNorm)
            y = g.add(.convolution(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups), inputs: [input], name: path)
        } else {
            y = try appendInferenceGraph(to: g, input: input, path: path)
            if let batchNorm { y = try batchNorm.appendInferenceGraph(to: g, input: y, path: batchNormPath) }
        }
        if let residual { y = g.add(.add, inputs: [y, residual], name: path + ".add") }
        if relu { y = g.add(.relu, inputs: [y], name: path + ".relu") }
        return y
    }
}
