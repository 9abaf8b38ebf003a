// `petal import`: a PyTorch state dict converted once into a safetensors file, for users who keep their weights in
// safetensors. The architecture is recognised from torchvision's tensor names and checked by loading the tensors into
// the Petal network it names (a ResNet, a MobileNetV3, an EfficientNet, a ConvNeXt or a ViT), so a file that imports is
// a file `--pretrained` accepts.
import Foundation

/// A torchvision-layout ResNet recognised from a state dict's tensor names and shapes.
public struct RecognisedResNet: Sendable, Equatable, CustomStringConvertible {
    /// ResNet-18 … 152.
    public var depth: ResNet.Depth
    /// Channels of the first stage (64 for torchvision's published weights).
    public var width: Int
    /// Outputs of the classifier (1000 for ImageNet).
    public var classes: Int

    /// Recognises torchvision's ResNet layout in `weights`, or returns nil: blocks per stage from the
    /// `layerS.B.` names, bottleneck blocks from `conv3`, the width from `conv1.weight`, classes from `fc.weight`.
    public init?(_ weights: SafeTensors) {
        guard let stem = weights["conv1.weight"], stem.shape.count == 4, stem.shape[1] == 3,
              let fc = weights["fc.weight"], fc.shape.count == 2 else { return nil }
        let blocks = (1...4).map { stage in
            Set(weights.tensors.compactMap { name, _ -> Int? in
                let parts = name.split(separator: ".")
                return parts.count > 2 && parts[0] == "layer\(stage)" ? Int(parts[1]) : nil
            }).count
        }
        let bottleneck = weights["layer1.0.conv3.weight"] != nil
        guard let depth = ResNet.Depth.allCases.first(where: { $0.layerBlockSizes == blocks && $0.usesBottleneck == bottleneck }) else { return nil }
        (self.depth, width, classes) = (depth, stem.shape[0], fc.shape[0])
    }

    /// E.g. "resnet50 (torchvision v1), width 64, 1000 classes".
    public var description: String { "resnet\(depth.rawValue) (torchvision v1), width \(width), \(classes) classes" }
}

/// A torchvision-layout network of any family Petal builds, recognised from a state dict's tensor names and shapes.
public enum RecognisedArchitecture: Sendable, Equatable, CustomStringConvertible {
    case resnet(RecognisedResNet)
    /// A ``ModelZoo`` network: its name ("efficientnet_b0", …), width multiplier and classes.
    case zoo(String, widthMultiplier: Double, classes: Int)

    /// The width multipliers tried (torchvision publishes 1).
    static let multipliers = [1.0, 0.25, 0.35, 0.5, 0.75, 1.25, 1.5, 2.0]

    /// Recognises `weights`, or returns nil. MobileNetV3's size comes from its block count, EfficientNet's variant from
    /// its blocks per stage, ConvNeXt's from its blocks per stage and widths; the width multiplier is the one whose
    /// channels the tensors have.
    public init?(_ weights: SafeTensors) {
        if let resnet = RecognisedResNet(weights) { self = .resnet(resnet); return }
        if let vit = Self.visionTransformer(weights) { self = vit; return }
        guard let stem = weights["features.0.0.weight"], stem.shape.count == 4, stem.shape[1] == 3 else { return nil }
        let blocks = Dictionary(grouping: weights.tensors.compactMap { name, _ -> (Int, Int)? in
            let parts = name.split(separator: ".")
            guard parts.count > 3, parts[0] == "features", let stage = Int(parts[1]), let block = Int(parts[2]) else { return nil }
            return (stage, block)
        }, by: \.0).mapValues { Set($0.map(\.1)).count }
        // Every family numbers at most a few dozen modules under `features`; a crafted file may name any index.
        guard let last = blocks.keys.max(), (1...64).contains(last) else { return nil }
        let stages = (1...last).map { blocks[$0] ?? 0 }
        func zoo(_ name: String, _ m: Double, _ classes: Int) -> RecognisedArchitecture { .zoo(name, widthMultiplier: m, classes: classes) }
        if let linear = weights["classifier.2.weight"], linear.shape.count == 2, weights["features.1.0.layer_scale"] != nil, last == 7 {
            let depths = [stages[0], stages[2], stages[4], stages[6]]
            for m in Self.multipliers {
                for variant in ConvNeXt.Variant.allCases where variant.depths == depths
                    && ConvNeXt.widths(variant, widthMultiplier: m) == [stem.shape[0], weights["features.3.0.layer_scale"]?.shape.first ?? 0,
                                                                        weights["features.5.0.layer_scale"]?.shape.first ?? 0, linear.shape[1]] {
                    self = zoo("convnext_\(variant.rawValue)", m, linear.shape[0]); return
                }
            }
            return nil
        }
        if let linear = weights["classifier.1.weight"], linear.shape.count == 2, weights["features.1.0.block.1.fc1.weight"] != nil {
            let channels = (stem.shape[0], linear.shape[1])
            for variant in EfficientNet.Variant.allCases where EfficientNet.stages(variant).map(\.blocks) == stages.dropLast() {  // the last: the head
                if let m = Self.multipliers.first(where: { m in
                    let s = EfficientNet.stages(variant, widthMultiplier: m)
                    return (s[0].inputChannels, 4 * s.last!.outputChannels) == channels
                }) { self = zoo("efficientnet_\(variant.rawValue)", m, linear.shape[0]); return }
            }
            return nil
        }
        if let linear = weights["classifier.3.weight"], linear.shape.count == 2 {
            // The blocks' names hold no block index ("features.4.block…"), so only the numbering of the head counts them.
            for size in MobileNetV3.Size.allCases where MobileNetV3.blocks(size).blocks.count == stages.count - 1 {
                if let m = Self.multipliers.first(where: { MobileNetV3.blocks(size, widthMultiplier: $0).blocks[0].inputChannels == stem.shape[0]
                                                            && MobileNetV3.blocks(size, widthMultiplier: $0).lastChannels == linear.shape[1] }) {
                    self = zoo("mobilenet_v3_\(size.rawValue)", m, linear.shape[0]); return
                }
            }
        }
        return nil
    }

    /// A torchvision ViT: its variant from the patch and the blocks, the width multiplier from the token width; the
    /// position embeddings must be for 224×224 images, the size Petal's ViTs store them for.
    private static func visionTransformer(_ weights: SafeTensors) -> RecognisedArchitecture? {
        guard let patches = weights["conv_proj.weight"], patches.shape.count == 4, patches.shape[1] == 3, patches.shape[2] == patches.shape[3],
              let head = weights["heads.head.weight"], head.shape.count == 2, let positions = weights["encoder.pos_embedding"],
              positions.shape.count == 3 else { return nil }
        let layers = Set(weights.tensors.compactMap { name, _ -> Int? in
            let parts = name.split(separator: ".")
            return parts.count > 3 && parts[0] == "encoder" && parts[1] == "layers" ? Int(parts[2].dropFirst("encoder_layer_".count)) : nil
        }).count
        for m in multipliers {
            for variant in VisionTransformer.Variant.allCases where variant.settings.patch == patches.shape[2] && variant.settings.layers == layers {
                let hidden = VisionTransformer.widths(variant, widthMultiplier: m).hidden, grid = 224 / variant.settings.patch
                if hidden == patches.shape[0] && positions.shape == [1, 1 + grid * grid, hidden] {
                    return .zoo("vit_\(variant.rawValue)", widthMultiplier: m, classes: head.shape[0])
                }
            }
        }
        return nil
    }

    /// The Petal network of this architecture, to load the weights into.
    public func makeModel() throws -> Module {
        switch self {
        case .resnet(let r): try ResNet(depth: r.depth, variant: .v1, classes: r.classes, baseWidth: r.width, initializer: .skip)
        case .zoo(let name, let m, let classes): try ModelZoo.make(name, classes: classes, widthMultiplier: m, initializer: .skip)
        }
    }

    /// The `petal train` options that build this network, e.g. "--model efficientnet_b0" or "--variant v1 --width 32".
    public var trainOptions: String {
        switch self {
        case .resnet(let r): "--variant v1" + (r.width == 64 ? "" : " --width \(r.width)") + (r.depth == .r18 ? "" : " --model resnet\(r.depth.rawValue)")
        case .zoo(let name, let m, _): "--model \(name)" + (m == 1 ? "" : " --width-multiplier \(m)")
        }
    }

    /// Outputs of the classifier (1000 for ImageNet).
    public var classes: Int {
        switch self {
        case .resnet(let r): r.classes
        case .zoo(_, _, let classes): classes
        }
    }

    /// E.g. "resnet50 (torchvision v1), width 64, 1000 classes" or "efficientnet_b0, width multiplier 1.0, 1000 classes".
    public var description: String {
        switch self {
        case .resnet(let r): r.description
        case .zoo(let name, let m, let classes): "\(name), width multiplier \(m), \(classes) classes"
        }
    }
}

extension PretrainedWeights {
    /// Converts a PyTorch state dict (`.pth`, read without running any code) into a safetensors file at
    /// `destination`, with metadata naming the source and the architecture. The tensors are checked by loading them into
    /// the recognised Petal network first.
    /// - Parameters:
    ///   - source: the `.pth` file, e.g. torchvision's `resnet18-f37072fd.pth` or `efficientnet_b0_rwightman-7f5810bc.pth`.
    ///   - destination: the safetensors file to write (atomically).
    ///   - overwrite: replace an existing `destination` (refused otherwise).
    /// - Returns: the recognised architecture.
    /// - Throws: ``ModelError/checkpoint(path:reason:)`` for an unreadable or refused source, a state dict of no family
    ///   Petal builds, or an existing destination.
    @discardableResult
    public static func importPyTorch(_ source: URL, to destination: URL, overwrite: Bool = false) throws -> RecognisedArchitecture {
        if !overwrite && FileManager.default.fileExists(atPath: destination.path) {
            throw ModelError.checkpoint(path: destination.path, reason: "exists; choose another --output or add --overwrite")
        }
        var weights = try PyTorchCheckpoint.read(source)
        guard let architecture = RecognisedArchitecture(weights) else {
            throw ModelError.checkpoint(path: source.path, reason: "is not a torchvision state dict of a network Petal builds (ResNet-18…152, MobileNetV3-Small or -Large, EfficientNet-B0…B3)")
        }
        try load(weights, into: try architecture.makeModel(), source: source.path)
        weights.metadata = ["source": source.lastPathComponent, "format": "PyTorch state dict, torchvision names",
                            "architecture": architecture.description, "converted_by": "petal import \(PetalVersion.current)"]
        try AtomicFile.write(try weights.encoded(), to: destination)
        return architecture
    }
}
