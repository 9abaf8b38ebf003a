/// Children run one after another, named "0", "1", … as in PyTorch. A BatchNorm2D directly followed by a
/// ReLU runs as one fused oneDNN primitive; in inference a Conv2D with the BatchNorm2D and ReLU after it does.
public final class Sequential: Module {
    /// The layers, run in order and named "0", "1", ….
    public init(_ layers: [Module]) {
        super.init()
        for (i, l) in layers.enumerated() { registerChild(String(i), l) }
    }

    /// The layers, run in order and named "0", "1", ….
    public convenience init(_ layers: Module...) { self.init(layers) }

    /// Runs the layers in order (fusing as the type's documentation says).
    public override func forward(_ x: Tensor) throws -> Tensor {
        var y = x
        let layers = children.map(\.module)
        var i = 0
        while i < layers.count {
            if let conv = layers[i] as? Conv2D, i + 1 < layers.count, layers[i + 1] is BatchNorm2D || layers[i + 1] is ReLU {
                let bn = layers[i + 1] as? BatchNorm2D
                let next = i + (bn == nil ? 1 : 2)
                let relu = next < layers.count ? layers[next] as? ReLU : nil
                y = try conv(y, then: bn, relu: relu != nil)
                if let relu { y = relu.recorded(y) }
                i = next + (relu == nil ? 0 : 1)
            } else if let bn = layers[i] as? BatchNorm2D, i + 1 < layers.count, let relu = layers[i + 1] as? ReLU {
                y = relu.recorded(try bn(y, fusedReLU: true))
                i += 2
            } else {
                y = try layers[i](y)
                i += 1
            }
        }
        return y
    }

    /// The layers in order; a convolution's batch norm is folded into it when the graph folds.
    public override func appendInferenceGraph(to g: InferenceGraphBuilder, input: String, path: String) throws -> String {
        var y = input
        let layers = children
        var i = 0
        while i < layers.count {
            let p = childPath(path, layers[i].name)
            if let conv = layers[i].module as? Conv2D, i + 1 < layers.count, let bn = layers[i + 1].module as? BatchNorm2D {
                y = try conv.appendInferenceGraph(to: g, input: y, path: p, then: bn, batchNormPath: childPath(path, layers[i + 1].name))
                i += 2
            } else {
                y = try layers[i].module.appendInferenceGraph(to: g, input: y, path: p)
                i += 1
            }
        }
        return y
    }
}
