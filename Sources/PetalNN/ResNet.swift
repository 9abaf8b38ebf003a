import Foundation

// The ResNet builder (He et al. 2016): depth 18/34/50/101/152 as a table of blocks per stage, in the
// original (torchvision) or pre-activation variant, or the pre-activation one with Keras' conventions (keras-resnet,
// the tutorial's network).

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

    /// Original blocks (post-activation, torchvision) or pre-activation blocks (BN → ReLU → conv), the latter also as
    /// keras-resnet builds them.
    public enum Variant: String, CaseIterable, Codable, Sendable {
        case v1
        case preActivation = "preact"
        /// keras-resnet's `ResnetBuilder` (the tutorial's network): pre-activation blocks under
        /// ``Module/adoptKerasConventions(kernelL2:initializer:)`` with `l2(1e-4)` on every convolution kernel.
        case keras
    }

    /// The depth (18…152) and block variant.
    public let depth: Depth, variant: Variant
    /// Outputs of the classifier, channels of the input, and channels of the first stage.
    public let classes: Int, inputChannels: Int, baseWidth: Int
    /// The stem (torchvision's names: `conv1`, `bn1`, `relu`, `maxpool`).
    public let conv1: Conv2D, bn1: BatchNorm2D, relu: ReLU, maxpool: MaxPool2D
    /// The four stages (`layer1` … `layer4`), each a sequence of residual blocks.
    public let stages: [Sequential]
    /// The pre-activation variant's final batch norm (`bn_final`), before pooling.
    public let finalBatchNorm: BatchNorm2D?
    /// Global average pooling and the classifier (`avgpool`, `fc`).
    public let avgpool: GlobalAvgPool, fc: Dense

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
        let g = initializer
        let v1 = variant == .v1
        conv1 = try Conv2D(inputChannels, baseWidth, kernel: 7, stride: 2, padding: 3, bias: !v1, initializer: g)
        (bn1, relu, maxpool) = (try BatchNorm2D(baseWidth), ReLU(), MaxPool2D(kernel: 3, stride: 2, padding: 1))
        let block: any ResidualBlock.Type = switch (depth.usesBottleneck, v1) {
        case (false, true): BasicBlock.self
        case (true, true): Bottleneck.self
        case (false, false): PreActivationBasicBlock.self
        case (true, false): PreActivationBottleneck.self
        }
        var channels = baseWidth
        var stages: [Sequential] = []
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
            stages.append(Sequential(layer))
        }
        self.stages = stages
        finalBatchNorm = v1 ? nil : try BatchNorm2D(channels)
        (avgpool, fc) = (GlobalAvgPool(), try Dense(channels, classes, initializer: g))
        super.init()
        for (name, child) in [("conv1", conv1), ("bn1", bn1), ("relu", relu), ("maxpool", maxpool)] as [(String, Module)] { registerChild(name, child) }
        for (i, stage) in stages.enumerated() { registerChild("layer\(i + 1)", stage) }
        if let finalBatchNorm { registerChild("bn_final", finalBatchNorm) }
        registerChild("avgpool", avgpool)
        registerChild("fc", fc)
        if variant == .keras { try adoptKerasConventions(kernelL2: 1e-4, initializer: initializer) }
        if zeroInitLastBatchNorm && v1 {
            for (name, m) in namedModules where name.hasPrefix("layer") {
                if let b = m as? BasicBlock { try b.bn2.weight.assign(Tensor.zeros([b.bn2.channels])) }
                if let b = m as? Bottleneck { try b.bn3.weight.assign(Tensor.zeros([b.bn3.channels])) }
            }
        }
    }

    /// Logits [N, classes] for images [N, inputChannels, H, W] (any H, W ≥ 32).
    public override func forward(_ x: Tensor) throws -> Tensor { try logits(fromFeatures: features(x)) }

    /// The last stage's activations, which global pooling reads ([N, channels, H/32, W/32]): what Grad-CAM weighs.
    public func features(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == inputChannels else {
            throw TensorError.shapeMismatch(op: "ResNet-\(depth.rawValue)", message: "expects NCHW input with \(inputChannels) channels, got [\(x.shape.map(String.init).joined(separator: ", "))]")
        }
        var h = try relu.recorded(bn1(conv1(x), fusedReLU: true))
        h = try maxpool(h)
        for stage in stages { h = try stage(h) }
        if let finalBatchNorm { h = try finalBatchNorm(h, fusedReLU: true) }
        return h
    }

    /// About how many parameters a ResNet of this depth and first-stage width has (the counts at width 64 scaled by the
    /// square of the width), known before anything is allocated: to refuse a model that cannot fit, or a checkpoint whose
    /// metadata describes a far larger model than its tensors hold.
    public static func estimatedParameterCount(depth: Depth, baseWidth: Int) -> Double {
        let atWidth64: [Depth: Double] = [.r18: 11.2e6, .r34: 21.3e6, .r50: 23.5e6, .r101: 42.5e6, .r152: 58.1e6]
        return atWidth64[depth]! * Double(baseWidth * baseWidth) / (64 * 64)
    }

    /// "ResNet-18 (v1)" and so on.
    public override var layerDescription: String { "ResNet-\(depth.rawValue) (\(variant.rawValue))" }
}
