// A module's inference graph is traced from its `forward`: one eval-mode pass on a zero input while the ops append
// to a `GraphTracer`, with nodes named after the modules that ran them (torchvision's dotted paths). So a block has
// one description of its computation, and a user's own module exports and fuses without extra code.
import PetalTensor

extension Module {
    /// This model's eval-mode computation for inputs of `inputShape` ([channels, height, width]; the graph takes any
    /// batch size), traced from one forward pass of a zero image.
    /// - Parameter foldingBatchNorm: fold each batch norm that follows a convolution into it, as Petal computes inference.
    /// - Throws: ``ModelError/untraceable(_:)`` naming the first value that no traceable op computed; what `forward`
    ///   throws for an input it cannot take.
    public func inferenceGraph(inputShape: [Int], foldingBatchNorm: Bool = true) throws -> InferenceGraph {
        var scopes: [ObjectIdentifier: (path: String, isLeaf: Bool)] = [:]
        for (name, module) in namedModules where scopes[ObjectIdentifier(module)] == nil {
            scopes[ObjectIdentifier(module)] = (name, module.children.isEmpty)
        }
        let graph: InferenceGraph
        do {
            graph = try inferring { try GraphTracer.trace(input: Tensor.zeros([1] + inputShape), scopeNames: scopes) { try self($0) } }
        } catch TensorError.invalidArgument(op: "trace", let message) {
            throw ModelError.untraceable("\(layerDescription) cannot be traced into a graph: \(message)")
        }
        return foldingBatchNorm ? try graph.foldingBatchNorms() : graph
    }
}
