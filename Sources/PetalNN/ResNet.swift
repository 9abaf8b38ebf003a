import Foundation

// The ResNet builder (He et al. 2016): depth 18/34/50/101/152 as a table of blocks per stage, in the
// original (torchvision) or pre-activation (the tutorial's Keras builder) variant.

/// A residual network for image classification.
public final class ResNet: Module {
    /// Network depth; each has a block kind and a number of blocks per stage.
    public enum Depth: Int, CaseIterable, Codable, Sendable {
        case r18 = 18, r34 = 34, r50 = 50, r101 = 101, r152 = 152

        /// Blocks in each of the four stages.
        public var layerBlockSizes: [Int] {
            switch self {
            case .r18: [2, 2, 2, 2]
            case .r34, .r50: [3, 4, 6, 3]
            case .r101: [3, 4, 23, 3]
            case .r152: [3, 8, 36, 3]
            }
        }

        /// Whether the stages use bottleneck blocks (1×1, 3×3, 1×1) rather than basic blocks (3×3, 3×3).
        public var usesBottleneck: Bool { rawValue >= 50 }

        /// Parses "resnet18", "r18" or "18".
        public init?(name: String) {
            let digits = name.lowercased().replacingOccurrences(of: "resnet", with: "").replacingOccurrences(of: "r", with: "")
            guard let n = Int(digits), let d = Depth(rawValue: n) else { return nil }
            self = d
        }
    }

    /// Original blocks (post-activation, torchvision) or pre-activation blocks (BN → ReLU → conv).
    public enum Variant: String, CaseIterable, Codable, Sendable {
        case v1
        case preActivation = "preact"
    }

    public let depth: Depth, variant: Variant
    public let classes: Int, inputChannels: Int, baseWidth: Int

    /// - Parameters:
    ///   - baseWidth: channels of the stem and the first stage (64 in the paper); stages use ×1, ×2, ×4, ×8.
    ///     Smaller widths make quick CPU experiments and small test fixtures.
    ///   - zeroInitLastBatchNorm: start each v1 block's last BN scale at 0, so blocks begin as identities
    ///     (Goyal et al. 2017; torchvision's `zero_init_residual`).
    ///   - initializer: draws the initial weights (He-normal convolutions, PyTorch-uniform `fc`); the default
    ///     is seeded with 0. Pass `.skip` when a checkpoint will be loaded over the model.
    public init(depth: Depth, variant: Variant = .v1, classes: Int, inputChannels: Int = 3, baseWidth: Int = 64,
                zeroInitLastBatchNorm: Bool = false, initializer: WeightInitializer = WeightInitializer(seed: 0)) throws {
        guard classes >= 1 else { throw ModelError.invalidConfiguration("ResNet: classes must be at least 1, got \(classes)") }
        guard inputChannels >= 1 else { throw ModelError.invalidConfiguration("ResNet: inputChannels must be at least 1, got \(inputChannels)") }
        guard baseWidth >= 1 else { throw ModelError.invalidConfiguration("ResNet: baseWidth must be at least 1, got \(baseWidth)") }
        (self.depth, self.variant, self.classes, self.inputChannels, self.baseWidth) = (depth, variant, classes, inputChannels, baseWidth)
        super.init()
        let g = initializer
        let v1 = variant == .v1
        registerChild("conv1", try Conv2D(inputChannels, baseWidth, kernel: 7, stride: 2, padding: 3, bias: !v1, initializer: g))
        registerChild("bn1", try BatchNorm2D(baseWidth))
        registerChild("relu", ReLU())
        registerChild("maxpool", MaxPool2D(kernel: 3, stride: 2, padding: 1))
        let block: any ResidualBlock.Type = switch (depth.usesBottleneck, v1) {
        case (false, true): BasicBlock.self
        case (true, true): Bottleneck.self
        case (false, false): PreActivationBasicBlock.self
        case (true, false): PreActivationBottleneck.self
        }
        var channels = baseWidth
        for (stage, blocks) in depth.layerBlockSizes.enumerated() {
            let planes = baseWidth << stage
            var layer: [Module] = []
            for i in 0..<blocks {
                let stride = stage > 0 && i == 0 ? 2 : 1
                // The stem already ends in BN → ReLU, so the first pre-activation block skips its own.
                layer.append(try block.init(inChannels: channels, planes: planes, stride: stride,
                                            preActivateInput: !(stage == 0 && i == 0), initializer: g))
                channels = planes * block.expansion
            }
            registerChild("layer\(stage + 1)", Sequential(layer))
        }
        if !v1 { registerChild("bn_final", try BatchNorm2D(channels)) }
        registerChild("avgpool", GlobalAvgPool())
        registerChild("fc", try Dense(channels, classes, initializer: g))
        if zeroInitLastBatchNorm && v1 {
            for (name, m) in namedModules where name.hasPrefix("layer") {
                if let b = m as? BasicBlock { try b.bn2.parameter("weight").assign(Tensor.zeros([b.bn2.channels])) }
                if let b = m as? Bottleneck { try b.bn3.parameter("weight").assign(Tensor.zeros([b.bn3.channels])) }
            }
        }
    }

    private func child<T: Module>(_ name: String) -> T { children.first { $0.name == name }!.module as! T }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == inputChannels else {
            throw TensorError.shapeMismatch(op: "ResNet-\(depth.rawValue)", message: "expects NCHW input with \(inputChannels) channels, got [\(x.shape.map(String.init).joined(separator: ", "))]")
        }
        let bn1: BatchNorm2D = child("bn1"), relu: ReLU = child("relu")
        let conv1: Conv2D = child("conv1")
        var h = fusesForInference ? try conv1.inference(x, foldingIn: bn1, relu: true) : relu.recorded(try bn1(conv1(x), fusedReLU: true))
        h = try (child("maxpool") as MaxPool2D)(h)
        for stage in 1...4 { h = try (child("layer\(stage)") as Sequential)(h) }
        if variant == .preActivation { h = try (child("bn_final") as BatchNorm2D)(h, fusedReLU: true) }
        h = try (child("avgpool") as GlobalAvgPool)(h)
        return try (child("fc") as Dense)(h)
    }

    public override var layerDescription: String { "ResNet-\(depth.rawValue) (\(variant.rawValue))" }
}
