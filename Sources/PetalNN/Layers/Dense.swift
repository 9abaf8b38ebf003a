/// A fully connected layer y = x·Wᵀ + b with PyTorch's layout (weight [out, in]) and default
/// initialisation (uniform in ±1/√in for weight and bias, as `torch.nn.Linear`).
public final class Dense: Module {
    public let inFeatures: Int, outFeatures: Int

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initializer: WeightInitializer) throws {
        guard inFeatures > 0, outFeatures > 0 else {
            throw ModelError.invalidConfiguration("Dense(\(inFeatures)→\(outFeatures)): feature counts must be positive")
        }
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        super.init()
        let bound = 1 / Float(inFeatures).squareRoot()
        registerParameter("weight", try initializer.uniform([outFeatures, inFeatures], bound: bound))
        if bias { registerParameter("bias", try initializer.uniform([outFeatures], bound: bound)) }
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2, x.shape[1] == inFeatures else {
            throw TensorError.shapeMismatch(op: "Dense(\(inFeatures)→\(outFeatures))", message: "expects input [N, \(inFeatures)], got [\(x.shape.map(String.init).joined(separator: ", "))]")
        }
        return try x.linear(weight: parameter("weight"), bias: optionalParameter("bias"))
    }

    public override var layerDescription: String { "Dense(\(inFeatures)→\(outFeatures))" }
}
