// EfficientNet-B0 to B3 (Tan & Le 2019) as torchvision builds them, with torchvision's parameter names
// (`features.2.0.block.1.0.weight`, `classifier.1.bias`, …) so that its published state dicts load as they are: a
// strided 3×3 stem, seven stages of MBConv blocks (1×1 expansion, depthwise convolution, squeeze-and-excitation with a
// sigmoid gate, 1×1 projection, all with SiLU; the input added back through stochastic depth when the shapes allow), a
// 1×1 head convolution to four times the last stage's channels, pooling, dropout and a linear classifier. B1 to B3
// scale B0's channels and stage depths by their width and depth multipliers.

/// EfficientNet-B0 … B3, torchvision-exact.
public final class EfficientNet: Module, PooledFeaturesClassifier {
    /// The published scalings.
    public enum Variant: String, CaseIterable, Sendable, Codable {
        case b0, b1, b2, b3

        /// torchvision's `width_mult`, `depth_mult` and classifier dropout for this variant.
        public var scaling: (width: Double, depth: Double, dropout: Float) {
            switch self {
            case .b0: (1.0, 1.0, 0.2)
            case .b1: (1.0, 1.1, 0.2)
            case .b2: (1.1, 1.2, 0.3)
            case .b3: (1.2, 1.4, 0.3)
            }
        }
    }

    /// One stage of MBConv blocks, as torchvision's `MBConvConfig` holds it after scaling.
    public struct StageSettings: Equatable, Sendable {
        public let expandRatio: Int, kernel: Int, stride: Int, inputChannels: Int, outputChannels: Int, blocks: Int
    }

    public let variant: Variant
    /// Scales every layer's channels beyond the variant's own (torchvision's `width_mult` is the product).
    public let widthMultiplier: Double
    /// Outputs of the classifier.
    public let classes: Int
    /// `features`: the stem, the seven stages and the head convolution.
    public let featureLayers: Sequential
    /// `classifier`: dropout, then the linear layer (`classifier.1`).
    public let classifier: Sequential

    /// The stages of `variant` with its channels scaled by `widthMultiplier` more (B0's table, the paper's Table 1).
    public static func stages(_ variant: Variant, widthMultiplier: Double = 1, depthMultiplier: Double? = nil) -> [StageSettings] {
        let width = variant.scaling.width * widthMultiplier, depth = depthMultiplier ?? variant.scaling.depth
        // expand ratio, kernel, stride, input, output, blocks
        let table = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                     (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
        return table.map {
            StageSettings(expandRatio: $0.0, kernel: $0.1, stride: $0.2, inputChannels: MobileNetV3.divisible(Double($0.3) * width),
                          outputChannels: MobileNetV3.divisible(Double($0.4) * width), blocks: Int((Double($0.5) * depth).rounded(.up)))
        }
    }

    /// - Parameters:
    ///   - widthMultiplier: scales every layer's channels beyond the variant's scaling (1 is the published network).
    ///   - depthMultiplier: the stages' depth scaling, instead of the variant's (for reduced test networks).
    ///   - dropout: before the linear layer; the variant's (0.2 or 0.3) when nil.
    ///   - stochasticDepth: the largest probability of dropping a block's branch in training, reached by the last block
    ///     (torchvision's 0.2; block k of n drops with 0.2 · k / n).
    ///   - initializer: draws the initial weights (He-normal convolutions, PyTorch-uniform linear layer, as for
    ///     MobileNetV3); `.skip` when weights will be loaded.
    public init(_ variant: Variant, classes: Int, widthMultiplier: Double = 1, depthMultiplier: Double? = nil, dropout: Float? = nil,
                stochasticDepth: Float = 0.2, initializer g: WeightInitializer = WeightInitializer(seed: 0)) throws {
        guard classes >= 1 else { throw ModelError.invalidConfiguration("EfficientNet: classes must be at least 1, got \(classes)") }
        guard widthMultiplier > 0, widthMultiplier <= 8 else {
            throw ModelError.invalidConfiguration("EfficientNet: widthMultiplier must be in (0, 8], got \(widthMultiplier)")
        }
        guard (0..<1).contains(stochasticDepth) else {
            throw ModelError.invalidConfiguration("EfficientNet: stochasticDepth must be in [0, 1), got \(stochasticDepth)")
        }
        (self.variant, self.widthMultiplier, self.classes) = (variant, widthMultiplier, classes)
        let stages = Self.stages(variant, widthMultiplier: widthMultiplier, depthMultiplier: depthMultiplier)
        let total = stages.map(\.blocks).reduce(0, +)
        var layers: [Module] = [try Self.convNormActivation(3, stages[0].inputChannels, kernel: 3, stride: 2, then: .activation(.silu), g)]
        var index = 0
        for stage in stages {
            var blocks: [Module] = []
            for b in 0..<stage.blocks {
                let input = b == 0 ? stage.inputChannels : stage.outputChannels
                blocks.append(try MBConv(expandRatio: stage.expandRatio, kernel: stage.kernel, stride: b == 0 ? stage.stride : 1,
                                         inputChannels: input, outputChannels: stage.outputChannels,
                                         stochasticDepth: stochasticDepth * Float(index) / Float(total), seed: UInt64(index), initializer: g))
                index += 1
            }
            layers.append(Sequential(blocks))
        }
        let last = stages.last!.outputChannels
        layers.append(try Self.convNormActivation(last, 4 * last, kernel: 1, then: .activation(.silu), g))
        featureLayers = Sequential(layers)
        classifier = Sequential(try Dropout(probability: dropout ?? variant.scaling.dropout),
                                try Dense(4 * last, classes, initializer: g))
        super.init()
        registerChild("features", featureLayers)
        registerChild("classifier", classifier)
    }

    /// torchvision's `Conv2dNormActivation` with PyTorch's default batch norm (momentum 0.1, ε 1e-5), as B0 to B3 use.
    static func convNormActivation(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1, groups: Int = 1, then tail: ConvNormTail,
                                   _ g: WeightInitializer) throws -> Sequential {
        try ConvNormActivation.make(input, output, kernel: kernel, stride: stride, groups: groups, momentum: 0.1, epsilon: 1e-5, then: tail, g)
    }

    /// Logits [N, classes] for images [N, 3, H, W].
    public override func forward(_ x: Tensor) throws -> Tensor { try logits(fromFeatures: features(x)) }

    /// "EfficientNet-B0 (width 0.25)" and so on.
    public override var layerDescription: String {
        "EfficientNet-\(variant.rawValue.uppercased())" + (widthMultiplier == 1 ? "" : " (width \(widthMultiplier))")
    }
}

/// EfficientNet's mobile inverted bottleneck (`block`): 1×1 expansion (unless the ratio is 1), depthwise convolution,
/// squeeze-and-excitation to a quarter of the input's channels, 1×1 projection; the input is added back, through
/// stochastic depth on the branch, when stride and channels allow.
public final class MBConv: Module {
    /// The layers, named as torchvision names them.
    public let block: Sequential
    /// Drops the branch for some samples in training (`stochastic_depth`, which holds no parameters).
    public let stochasticDepth: StochasticDepth
    /// Whether the input is added to the output (stride 1 and equal channels).
    public let addsInput: Bool

    public init(expandRatio: Int, kernel: Int, stride: Int, inputChannels: Int, outputChannels: Int, stochasticDepth: Float, seed: UInt64,
                initializer g: WeightInitializer) throws {
        let expanded = MobileNetV3.divisible(Double(inputChannels * expandRatio))
        var layers: [Module] = []
        if expanded != inputChannels {
            layers.append(try EfficientNet.convNormActivation(inputChannels, expanded, kernel: 1, then: .activation(.silu), g))
        }
        layers.append(try EfficientNet.convNormActivation(expanded, expanded, kernel: kernel, stride: stride, groups: expanded, then: .activation(.silu), g))
        layers.append(try SqueezeExcitation(channels: expanded, squeezed: max(1, inputChannels / 4), activation: .activation(.silu), gate: .sigmoid, initializer: g))
        layers.append(try EfficientNet.convNormActivation(expanded, outputChannels, kernel: 1, then: .none, g))
        block = Sequential(layers)
        self.stochasticDepth = try StochasticDepth(probability: stochasticDepth, seed: seed)
        addsInput = stride == 1 && inputChannels == outputChannels
        super.init()
        registerChild("block", block)
        registerChild("stochastic_depth", self.stochasticDepth)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try block(x)
        return addsInput ? try stochasticDepth(y) + x : y
    }
}
