// `petal import`: a PyTorch state dict converted once into a safetensors file, for users who keep their weights in
// safetensors. The architecture is recognised from torchvision's tensor names and checked by loading the tensors into
// the Petal ResNet it names, so a file that imports is a file `--pretrained` accepts.
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

extension PretrainedWeights {
    /// Converts a PyTorch state dict (`.pth`, read without running any code) into a safetensors file at
    /// `destination`, with metadata naming the source and the architecture. The tensors are checked by loading them into
    /// the recognised Petal ResNet first.
    /// - Parameters:
    ///   - source: the `.pth` file, e.g. torchvision's `resnet18-f37072fd.pth`.
    ///   - destination: the safetensors file to write (atomically).
    ///   - overwrite: replace an existing `destination` (refused otherwise).
    /// - Returns: the recognised architecture.
    /// - Throws: ``ModelError/checkpoint(path:reason:)`` for an unreadable or refused source, a state dict that is not a
    ///   torchvision ResNet, or an existing destination.
    @discardableResult
    public static func importPyTorch(_ source: URL, to destination: URL, overwrite: Bool = false) throws -> RecognisedResNet {
        if !overwrite && FileManager.default.fileExists(atPath: destination.path) {
            throw ModelError.checkpoint(path: destination.path, reason: "exists; choose another --output or add --overwrite")
        }
        var weights = try PyTorchCheckpoint.read(source)
        guard let architecture = RecognisedResNet(weights) else {
            throw ModelError.checkpoint(path: source.path, reason: "is not a torchvision ResNet state dict (no conv1, layer1…layer4 and fc tensors of ResNet-18…152)")
        }
        let model = try ResNet(depth: architecture.depth, variant: .v1, classes: architecture.classes, baseWidth: architecture.width, initializer: .skip)
        try load(weights, into: model, source: source.path)
        weights.metadata = ["source": source.lastPathComponent, "format": "PyTorch state dict, torchvision names",
                            "architecture": architecture.description, "converted_by": "petal import \(PetalVersion.current)"]
        try AtomicFile.write(try weights.encoded(), to: destination)
        return architecture
    }
}
