/// Layer normalisation over the channels of each position, with PyTorch's parameter names (`weight`, `bias`): axis 1
/// of NCHW input (ConvNeXt's `LayerNorm2d`, or `LayerNorm` after a permute to channels-last), the last axis of [N, C]
/// and [N, T, C].
public final class LayerNorm: Module {
    /// Channels normalised.
    public let channels: Int
    /// Added to the variance before the square root (PyTorch's default 1e-5; ConvNeXt's 1e-6).
    public let epsilon: Float

    public init(_ channels: Int, epsilon: Float = 1e-5) throws {
        guard channels > 0, epsilon > 0 else {
            throw ModelError.invalidConfiguration("LayerNorm(\(channels)): channels and epsilon must be positive")
        }
        (self.channels, self.epsilon) = (channels, epsilon)
        (weight, bias) = (try Tensor.ones([channels]).requiringGradient(), try Tensor.zeros([channels]).requiringGradient())
        super.init()
        registerParameter("weight", weight)
        registerParameter("bias", bias)
    }

    /// The scale γ and shift β per channel.
    public let weight: Tensor, bias: Tensor

    public override func forward(_ x: Tensor) throws -> Tensor { try x.layerNorm(scale: weight, shift: bias, epsilon: epsilon) }

    /// "LayerNorm(C)".
    public override var layerDescription: String { "LayerNorm(\(channels))" }
}
