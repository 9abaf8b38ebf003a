/// A fully connected layer y = x·Wᵀ + b with PyTorch's layout (weight [out, in]) and default
/// initialisation (uniform in ±1/√in for weight and bias, as `torch.nn.Linear`).
public final class Dense: Module {
    /// Input and output features.
    public let inFeatures: Int, outFeatures: Int

    /// - Parameters:
    ///   - inFeatures: size of the input vectors.
    ///   - outFeatures: size of the output vectors.
    ///   - bias: whether to learn an offset.
    ///   - initializer: draws the initial weights (PyTorch's uniform rule).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, initializer: WeightInitializer) throws {
        guard inFeatures > 0, outFeatures > 0 else {
            throw ModelError.invalidConfiguration("Dense(\(inFeatures)→\(outFeatures)): feature counts must be positive")
        }
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = try initializer.uniform([outFeatures, inFeatures], bound: bound).requiringGradient()
        self.bias = bias ? try initializer.uniform([outFeatures], bound: bound).requiringGradient() : nil
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    /// The weights [out, in] and the optional offset [out].
    public let weight: Tensor, bias: Tensor?

    /// x · Wᵀ + b for x of shape [N, inFeatures], for each token of [N, T, inFeatures], or for each position's channel
    /// vector of NCHW input [N, inFeatures, H, W] (PyTorch's Linear after a permute to channels-last, as ConvNeXt's
    /// blocks use it).
    public override func forward(_ x: Tensor) throws -> Tensor {
        if x.rank == 4 && x.shape[1] == inFeatures {
            // Per position, a 1×1 convolution: oneDNN's blocked kernels, and no permutes of the activations.
            return try x.conv2d(weight: weight.reshaped([outFeatures, inFeatures, 1, 1]), bias: bias)
        }
        guard (2...3).contains(x.rank), x.shape.last == inFeatures else {
            throw TensorError.shapeMismatch(op: "Dense(\(inFeatures)→\(outFeatures))",
                                            message: "expects input [N, \(inFeatures)], [N, T, \(inFeatures)] or [N, \(inFeatures), H, W], got [\(x.shape.map(String.init).joined(separator: ", "))]")
        }
        return try x.linear(weight: weight, bias: bias)
    }

    /// "Dense(in→out)".
    public override var layerDescription: String { "Dense(\(inFeatures)→\(outFeatures))" }
}
