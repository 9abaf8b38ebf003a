// MobileNetV3 (Howard et al. 2019, "Searching for MobileNetV3") as torchvision builds it, with torchvision's parameter
// names (`features.1.block.0.0.weight`, `classifier.3.bias`, …) so that its published state dicts load as they are:
// inverted residual blocks of a 1×1 expansion, a depthwise convolution, an optional squeeze-and-excitation gate and a
// 1×1 projection, with ReLU or hard-swish; a 1×1 head convolution; then pooling and a two-layer classifier. Batch norms
// use torchvision's ε = 0.001 and momentum 0.01.

/// A MobileNetV3-Small or -Large, at any width.
public final class MobileNetV3: Module, PooledFeaturesClassifier {
    /// The two published architectures.
    public enum Size: String, CaseIterable, Sendable, Codable {
        case small, large
    }

    /// One inverted residual block (a row of the paper's Tables 1 and 2, with channels already scaled by the width).
    public struct BlockSettings: Equatable, Sendable {
        public let inputChannels: Int, kernel: Int, expandedChannels: Int, outputChannels: Int
        public let squeezeExcitation: Bool, hardSwish: Bool, stride: Int
    }

    /// The architecture: its size and width multiplier.
    public let size: Size, widthMultiplier: Double
    /// The convolutional stages (torchvision's `features`): stem, inverted residual blocks, head convolution.
    public let featureLayers: Sequential
    /// Pooling, then `Linear → hard-swish → Dropout → Linear` (`classifier`).
    public let classifier: Sequential
    /// Outputs of the classifier.
    public let classes: Int

    /// Channels rounded as torchvision rounds them: to a multiple of 8, never more than 10 % below `value`.
    static func divisible(_ value: Double, by divisor: Int = 8) -> Int {
        let rounded = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
        return Double(rounded) < 0.9 * value ? rounded + divisor : rounded
    }

    /// The blocks of `size` at `widthMultiplier`, and the classifier's hidden width.
    public static func blocks(_ size: Size, widthMultiplier: Double = 1) -> (blocks: [BlockSettings], lastChannels: Int) {
        // input, kernel, expanded, output, squeeze-and-excitation, hard-swish, stride (the paper's Tables 1 and 2)
        let table: [(Int, Int, Int, Int, Bool, Bool, Int)] = switch size {
        case .large: [(16, 3, 16, 16, false, false, 1), (16, 3, 64, 24, false, false, 2), (24, 3, 72, 24, false, false, 1),
                      (24, 5, 72, 40, true, false, 2), (40, 5, 120, 40, true, false, 1), (40, 5, 120, 40, true, false, 1),
                      (40, 3, 240, 80, false, true, 2), (80, 3, 200, 80, false, true, 1), (80, 3, 184, 80, false, true, 1),
                      (80, 3, 184, 80, false, true, 1), (80, 3, 480, 112, true, true, 1), (112, 3, 672, 112, true, true, 1),
                      (112, 5, 672, 160, true, true, 2), (160, 5, 960, 160, true, true, 1), (160, 5, 960, 160, true, true, 1)]
        case .small: [(16, 3, 16, 16, true, false, 2), (16, 3, 72, 24, false, false, 2), (24, 3, 88, 24, false, false, 1),
                      (24, 5, 96, 40, true, true, 2), (40, 5, 240, 40, true, true, 1), (40, 5, 240, 40, true, true, 1),
                      (40, 5, 120, 48, true, true, 1), (48, 5, 144, 48, true, true, 1), (48, 5, 288, 96, true, true, 2),
                      (96, 5, 576, 96, true, true, 1), (96, 5, 576, 96, true, true, 1)]
        }
        let scaled = { (c: Int) in divisible(Double(c) * widthMultiplier) }
        let blocks = table.map { BlockSettings(inputChannels: scaled($0.0), kernel: $0.1, expandedChannels: scaled($0.2), outputChannels: scaled($0.3),
                                               squeezeExcitation: $0.4, hardSwish: $0.5, stride: $0.6) }
        return (blocks, scaled(size == .large ? 1280 : 1024))
    }

    /// - Parameters:
    ///   - widthMultiplier: scales every layer's channels (torchvision's `width_mult`; 1 is the published network).
    ///   - dropout: before the last linear layer (torchvision's 0.2).
    ///   - initializer: draws the initial weights (He-normal convolutions, PyTorch-uniform linear layers); `.skip` when
    ///     weights will be loaded.
    public init(_ size: Size, classes: Int, widthMultiplier: Double = 1, dropout: Float = 0.2,
                initializer g: WeightInitializer = WeightInitializer(seed: 0)) throws {
        guard classes >= 1 else { throw ModelError.invalidConfiguration("MobileNetV3: classes must be at least 1, got \(classes)") }
        guard widthMultiplier > 0, widthMultiplier <= 8 else {
            throw ModelError.invalidConfiguration("MobileNetV3: widthMultiplier must be in (0, 8], got \(widthMultiplier)")
        }
        (self.size, self.widthMultiplier, self.classes) = (size, widthMultiplier, classes)
        let (settings, lastChannels) = Self.blocks(size, widthMultiplier: widthMultiplier)
        let first = settings[0].inputChannels, last = settings.last!.outputChannels
        var layers: [Module] = [try Self.convNormActivation(3, first, kernel: 3, stride: 2, then: .activation(.hardSwish), g)]
        for s in settings { layers.append(try InvertedResidual(s, initializer: g)) }
        layers.append(try Self.convNormActivation(last, 6 * last, kernel: 1, then: .activation(.hardSwish), g))
        featureLayers = Sequential(layers)
        classifier = Sequential(try Dense(6 * last, lastChannels, initializer: g), ActivationLayer(.hardSwish), try Dropout(probability: dropout),
                                try Dense(lastChannels, classes, initializer: g))
        super.init()
        registerChild("features", featureLayers)
        registerChild("classifier", classifier)
    }

    /// torchvision's `Conv2dNormActivation` with MobileNetV3's batch norm (momentum 0.01, ε 0.001).
    static func convNormActivation(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1, groups: Int = 1, then tail: ConvNormTail,
                                   _ g: WeightInitializer) throws -> Sequential {
        try ConvNormActivation.make(input, output, kernel: kernel, stride: stride, groups: groups, momentum: 0.01, epsilon: 0.001, then: tail, g)
    }

    /// Logits [N, classes] for images [N, 3, H, W].
    public override func forward(_ x: Tensor) throws -> Tensor { try logits(fromFeatures: features(x)) }

    /// "MobileNetV3-Small (width 0.25)" and so on.
    public override var layerDescription: String {
        "MobileNetV3-\(size.rawValue.capitalized)" + (widthMultiplier == 1 ? "" : " (width \(widthMultiplier))")
    }
}

/// MobileNetV3's inverted residual block (`block`): expansion, depthwise convolution, squeeze-and-excitation,
/// projection, and the input added back when the shapes allow.
public final class InvertedResidual: Module {
    /// The layers, named as torchvision names them.
    public let block: Sequential
    /// Whether the input is added to the output (stride 1 and equal channels).
    public let addsInput: Bool

    public init(_ s: MobileNetV3.BlockSettings, initializer g: WeightInitializer) throws {
        let nonlinearity: ConvNormTail = s.hardSwish ? .activation(.hardSwish) : .relu
        var layers: [Module] = []
        if s.expandedChannels != s.inputChannels {
            layers.append(try MobileNetV3.convNormActivation(s.inputChannels, s.expandedChannels, kernel: 1, then: nonlinearity, g))
        }
        layers.append(try MobileNetV3.convNormActivation(s.expandedChannels, s.expandedChannels, kernel: s.kernel, stride: s.stride,
                                                         groups: s.expandedChannels, then: nonlinearity, g))
        if s.squeezeExcitation {
            layers.append(try SqueezeExcitation(channels: s.expandedChannels, squeezed: MobileNetV3.divisible(Double(s.expandedChannels / 4)), initializer: g))
        }
        layers.append(try MobileNetV3.convNormActivation(s.expandedChannels, s.outputChannels, kernel: 1, then: .none, g))
        block = Sequential(layers)
        addsInput = s.stride == 1 && s.inputChannels == s.outputChannels
        super.init()
        registerChild("block", block)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try block(x)
        return addsInput ? try y + x : y
    }
}

/// Squeeze-and-excitation (Hu et al. 2018), torchvision's `SqueezeExcitation`: the channels' means go through a 1×1
/// convolution, a nonlinearity (ReLU in MobileNetV3, SiLU in EfficientNet), a second 1×1 convolution and a gate
/// (hard-sigmoid in MobileNetV3, sigmoid in EfficientNet), and scale the input's channels (`fc1`, `fc2`).
public final class SqueezeExcitation: Module {
    public let fc1: Conv2D, fc2: Conv2D
    /// After `fc1`.
    public let activation: ConvNormTail
    /// After `fc2`: the channels' weights.
    public let gate: Activation

    public init(channels: Int, squeezed: Int, activation: ConvNormTail = .relu, gate: Activation = .hardSigmoid, initializer g: WeightInitializer) throws {
        fc1 = try Conv2D(channels, squeezed, kernel: 1, initializer: g)
        fc2 = try Conv2D(squeezed, channels, kernel: 1, initializer: g)
        (self.activation, self.gate) = (activation, gate)
        super.init()
        registerChild("fc1", fc1)
        registerChild("fc2", fc2)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let means = try x.avgPool2d(kernel: Size2D(x.shape[2], x.shape[3]))  // [N, C, 1, 1]
        var squeezed = try fc1(means)
        switch activation {
        case .relu: squeezed = try squeezed.relu()
        case .activation(let a): squeezed = try squeezed.activated(a)
        case .none: break
        }
        return try x * fc2(squeezed).activated(gate)
    }
}
