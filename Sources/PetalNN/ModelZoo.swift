// The torchvision families beyond ResNet, built by their torchvision names. One table maps a name to its network, so
// checkpoints, `petal import`, `--model` and run configurations keep no list of their own.

/// A network of a torchvision family that Petal builds by name at a width multiplier (MobileNetV3, EfficientNet,
/// ConvNeXt, ViT).
public protocol ZooClassifier: ImageClassifier {
    /// torchvision's builder name: "mobilenet_v3_small", "efficientnet_b0", "convnext_tiny", "vit_b_16", ….
    var architectureName: String { get }
    /// Scales every layer's channels beyond the published network's (1).
    var widthMultiplier: Double { get }
    /// Outputs of the classifier.
    var classes: Int { get }
}

/// Builds the torchvision families beyond ResNet by name.
public enum ModelZoo {
    /// One buildable architecture: its name and what torchvision's published network (width 1, 1000 classes) holds.
    public struct Entry: Sendable {
        /// torchvision's builder name.
        public let name: String
        /// Parameters of the published network.
        public let parameters: Int
        let make: @Sendable (_ classes: Int, _ widthMultiplier: Double, _ initializer: WeightInitializer) throws -> any ZooClassifier
    }

    /// Every architecture, smallest family first (the order `--help` lists them in).
    public static let entries: [Entry] =
        MobileNetV3.Size.allCases.map { size in
            Entry(name: "mobilenet_v3_\(size.rawValue)", parameters: size == .small ? 2_542_856 : 5_483_032) {
                try MobileNetV3(size, classes: $0, widthMultiplier: $1, initializer: $2)
            }
        }
        + zip(EfficientNet.Variant.allCases, [5_288_548, 7_794_184, 9_109_994, 12_233_232]).map { variant, parameters in
            Entry(name: "efficientnet_\(variant.rawValue)", parameters: parameters) { try EfficientNet(variant, classes: $0, widthMultiplier: $1, initializer: $2) }
        }
        + zip(ConvNeXt.Variant.allCases, [28_589_128, 50_223_688, 88_591_464, 197_767_336]).map { variant, parameters in
            Entry(name: "convnext_\(variant.rawValue)", parameters: parameters) { try ConvNeXt(variant, classes: $0, widthMultiplier: $1, initializer: $2) }
        }
        + zip(VisionTransformer.Variant.allCases, [86_567_656, 88_224_232, 304_326_632, 306_535_400, 632_045_800]).map { variant, parameters in
            Entry(name: "vit_\(variant.rawValue)", parameters: parameters) { try VisionTransformer(variant, classes: $0, widthMultiplier: $1, initializer: $2) }
        }

    /// The entry named `name`, if any.
    public static func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The network `name` with `classes` outputs.
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` for an unknown name or settings the family refuses.
    public static func make(_ name: String, classes: Int, widthMultiplier: Double = 1, initializer: WeightInitializer) throws -> any ZooClassifier {
        guard let entry = entry(name) else { throw ModelError.invalidConfiguration("unknown architecture '\(name)'") }
        return try entry.make(classes, widthMultiplier, initializer)
    }
}

extension MobileNetV3: ZooClassifier {
    public var architectureName: String { "mobilenet_v3_\(size.rawValue)" }
}

extension EfficientNet: ZooClassifier {
    public var architectureName: String { "efficientnet_\(variant.rawValue)" }
}

extension ConvNeXt: ZooClassifier {
    public var architectureName: String { "convnext_\(variant.rawValue)" }
}

extension VisionTransformer: ZooClassifier {
    public var architectureName: String { "vit_\(variant.rawValue)" }
}
