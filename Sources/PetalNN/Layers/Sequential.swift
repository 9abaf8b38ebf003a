/// Children run one after another, named "0", "1", … as in PyTorch. (Inference fuses a Conv2D with the BatchNorm2D
/// and ReLU after it through ``Module/fusedForInference()``, as for any model.)
public final class Sequential: Module {
    /// The layers, run in order and named "0", "1", ….
    public init(_ layers: [Module]) {
        super.init()
        for (i, l) in layers.enumerated() { registerChild(String(i), l) }
    }

    /// The layers, run in order and named "0", "1", ….
    public convenience init(_ layers: Module...) { self.init(layers) }

    /// Runs the layers in order.
    public override func forward(_ x: Tensor) throws -> Tensor {
        try children.reduce(x) { y, child in try child.module(y) }
    }
}
