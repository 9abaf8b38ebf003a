// ConvNeXt (Liu et al. 2022) as torchvision builds it, with torchvision's parameter names (`features.1.0.block.3.weight`,
// `features.1.0.layer_scale`, `classifier.2.bias`, …) so that its published state dicts load as they are: a 4×4
// stride-4 "patchify" stem with layer norm, four stages of ConvNeXt blocks (7×7 depthwise convolution, layer norm,
// a pointwise MLP four times as wide with GELU, a learned per-channel layer scale, stochastic depth, the input added
// back), each stage after the first entered through layer norm and a 2×2 stride-2 convolution; then pooling, layer
// norm and a linear classifier.
//
// torchvision permutes each block to channels-last for its layer norm and linear layers and back; Petal normalises and
// applies the linear layers per position on NCHW data directly (`LayerNorm`, `Dense` on rank-4 input), so the two
// permutes are `Identity` layers that keep torchvision's indices.

/// ConvNeXt-Tiny, Small, Base and Large, torchvision-exact.
public final class ConvNeXt: Module, PooledFeaturesClassifier {
    /// The published sizes.
    public enum Variant: String, CaseIterable, Sendable, Codable {
        case tiny, small, base, large

        /// Channels of the four stages.
        public var widths: [Int] {
            switch self {
            case .tiny, .small: [96, 192, 384, 768]
            case .base: [128, 256, 512, 1024]
            case .large: [192, 384, 768, 1536]
            }
        }

        /// Blocks of the four stages.
        public var depths: [Int] { self == .tiny ? [3, 3, 9, 3] : [3, 3, 27, 3] }

        /// torchvision's stochastic depth: the probability the last block reaches (0.1 for Tiny, 0.4 Small, 0.5 Base and Large).
        public var stochasticDepth: Float {
            switch self {
            case .tiny: 0.1
            case .small: 0.4
            case .base, .large: 0.5
            }
        }
    }

    public let variant: Variant
    /// Scales every stage's channels beyond the variant's own.
    public let widthMultiplier: Double
    /// Channels and blocks of the four stages, as built.
    public let widths: [Int], depths: [Int]
    /// Outputs of the classifier.
    public let classes: Int
    /// `features`: the stem, then the stages with their downsampling layers between them.
    public let featureLayers: Sequential
    /// `classifier`: layer norm, flatten, then the linear layer (`classifier.2`).
    public let classifier: Sequential

    /// The stages' channels of `variant` scaled by `widthMultiplier` (rounded, at least 1).
    public static func widths(_ variant: Variant, widthMultiplier: Double = 1) -> [Int] {
        variant.widths.map { max(1, Int((Double($0) * widthMultiplier).rounded())) }
    }

    /// - Parameters:
    ///   - widthMultiplier: scales every stage's channels (1 is the published network).
    ///   - depths: blocks per stage instead of the variant's (for reduced test networks).
    ///   - stochasticDepth: the largest probability of dropping a block's branch in training, reached by the last block
    ///     (block k of n drops with p · k / (n − 1)); the variant's when nil.
    ///   - initializer: draws the initial weights (torchvision's: every convolution and linear weight from a truncated
    ///     normal of deviation 0.02, biases zero, layer scales 10⁻⁶); `.skip` when weights will be loaded.
    public init(_ variant: Variant, classes: Int, widthMultiplier: Double = 1, depths: [Int]? = nil, stochasticDepth: Float? = nil,
                initializer g: WeightInitializer = WeightInitializer(seed: 0)) throws {
        guard classes >= 1 else { throw ModelError.invalidConfiguration("ConvNeXt: classes must be at least 1, got \(classes)") }
        guard widthMultiplier > 0, widthMultiplier <= 8 else {
            throw ModelError.invalidConfiguration("ConvNeXt: widthMultiplier must be in (0, 8], got \(widthMultiplier)")
        }
        let depths = depths ?? variant.depths
        guard depths.count == 4, depths.allSatisfy({ (1...64).contains($0) }) else {
            throw ModelError.invalidConfiguration("ConvNeXt: depths must be four block counts in 1…64, got \(depths)")
        }
        let stochasticDepth = stochasticDepth ?? variant.stochasticDepth
        guard (0..<1).contains(stochasticDepth) else {
            throw ModelError.invalidConfiguration("ConvNeXt: stochasticDepth must be in [0, 1), got \(stochasticDepth)")
        }
        let widths = Self.widths(variant, widthMultiplier: widthMultiplier)
        (self.variant, self.widthMultiplier, self.widths, self.depths, self.classes) = (variant, widthMultiplier, widths, depths, classes)
        let total = depths.reduce(0, +)
        var layers: [Module] = [Sequential(try Conv2D(3, widths[0], kernel: 4, stride: 4, initializer: g), try LayerNorm(widths[0], epsilon: 1e-6))]
        var index = 0
        for (stage, (width, depth)) in zip(widths, depths).enumerated() {
            if stage > 0 {
                layers.append(Sequential(try LayerNorm(widths[stage - 1], epsilon: 1e-6), try Conv2D(widths[stage - 1], width, kernel: 2, stride: 2, initializer: g)))
            }
            layers.append(Sequential(try (0..<depth).map { _ in
                defer { index += 1 }
                return try CNBlock(channels: width, stochasticDepth: stochasticDepth * Float(index) / Float(max(total - 1, 1)), seed: UInt64(index), initializer: g)
            }))
        }
        featureLayers = Sequential(layers)
        classifier = Sequential(try LayerNorm(widths[3], epsilon: 1e-6), Flatten(), try Dense(widths[3], classes, initializer: g))
        super.init()
        registerChild("features", featureLayers)
        registerChild("classifier", classifier)
        try initialiseAsTorchvision(g)
    }

    /// Every convolution and linear weight from a truncated normal of deviation 0.02, every bias zero.
    private func initialiseAsTorchvision(_ g: WeightInitializer) throws {
        guard g.isRandom else { return }
        for (_, module) in namedModules {
            let (weight, bias): (Tensor?, Tensor?) = switch module {
            case let c as Conv2D: (c.weight, c.bias)
            case let d as Dense: (d.weight, d.bias)
            default: (nil, nil)
            }
            if let weight { try weight.assign(g.truncatedNormal(weight.shape, deviation: 0.02)) }
            bias?.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Logits [N, classes] for images [N, 3, H, W].
    public override func forward(_ x: Tensor) throws -> Tensor { try logits(fromFeatures: features(x)) }

    /// "ConvNeXt-Tiny (width 0.5)" and so on.
    public override var layerDescription: String {
        "ConvNeXt-\(variant.rawValue.prefix(1).uppercased() + variant.rawValue.dropFirst())" + (widthMultiplier == 1 ? "" : " (width \(widthMultiplier))")
    }
}

/// ConvNeXt's block: 7×7 depthwise convolution, layer norm, a pointwise MLP (linear to four times the channels, GELU,
/// linear back), each channel scaled by the learned layer scale, stochastic depth on the branch, the input added back.
public final class CNBlock: Module {
    /// The layers, named as torchvision names them (`block.0` the depthwise convolution, `block.2` the layer norm,
    /// `block.3` and `block.5` the linear layers; `block.1` and `block.6` torchvision's permutes).
    public let block: Sequential
    /// The per-channel factors of the branch, [C, 1, 1] (`layer_scale`).
    public let layerScale: Tensor
    /// Drops the branch for some samples in training (`stochastic_depth`, which holds no parameters).
    public let stochasticDepth: StochasticDepth

    public init(channels: Int, stochasticDepth: Float, seed: UInt64, initializer g: WeightInitializer) throws {
        block = Sequential(try Conv2D(channels, channels, kernel: 7, padding: 3, groups: channels, initializer: g), Identity(),
                           try LayerNorm(channels, epsilon: 1e-6), try Dense(channels, 4 * channels, initializer: g),
                           ActivationLayer(.gelu), try Dense(4 * channels, channels, initializer: g), Identity())
        layerScale = try Tensor.full([channels, 1, 1], 1e-6).requiringGradient()
        self.stochasticDepth = try StochasticDepth(probability: stochasticDepth, seed: seed)
        super.init()
        registerChild("block", block)
        registerParameter("layer_scale", layerScale)
        registerChild("stochastic_depth", self.stochasticDepth)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try stochasticDepth(block(x).scaledChannels(by: layerScale)) + x
    }
}
