// Saving and loading a model's state as safetensors under torchvision's names, with Petal's metadata in
// the header. Loading checks every name, shape and value before touching the model, and reports all
// missing, unexpected and mis-shaped tensors at once.
import Foundation

/// What a checkpoint records besides the weights: enough to rebuild the model and preprocess its input.
public struct CheckpointMetadata: Codable, Equatable, Sendable {
    /// The Petal version that wrote the checkpoint.
    public var petalVersion = PetalVersion.current
    /// The network: "resnet", or a ``ModelZoo`` name ("mobilenet_v3_small", "efficientnet_b0", "convnext_tiny", …).
    public var architecture = "resnet"
    /// A ``ModelZoo`` network's width multiplier (1 for the published networks).
    public var widthMultiplier: Double?
    /// The ResNet depth (18, 34, 50, 101, 152).
    public var depth: Int?
    /// The block variant: "v1" (torchvision) or "preact".
    public var variant: String?
    /// Channels of the first stage (64 in the paper).
    public var baseWidth: Int?
    /// Channels of the input images (3 for RGB).
    public var inputChannels = 3
    /// The class names in label order (the classifier's outputs).
    public var classNames: [String] = []
    /// Height and width the model was trained on (centre crop size).
    public var inputSize: [Int] = [100, 100]
    /// What was done with images smaller than the crop: "skip", "pad" or "resizeShortSide".
    public var smallImages: String?
    /// Short side every image was resized to before the centre crop; `nil` when the photo's own pixels were cropped.
    public var resize: Int?
    /// How pixels were normalised: "divide255", or "meanStd" with `mean`/`std` per channel (stored under the key
    /// "normalization", as checkpoints have always written it).
    public var normalisation = "divide255"
    /// Per-channel means of `meanStd` normalisation, in [0, 1] units.
    public var mean: [Float]?
    /// Per-channel standard deviations of `meanStd` normalisation, in [0, 1] units.
    public var std: [Float]?
    /// Epochs completed when the checkpoint was written.
    public var epoch: Int?
    /// The epoch's logs when the checkpoint was written (loss, accuracy, val_auc, …).
    public var metrics: [String: Double] = [:]

    private enum CodingKeys: String, CodingKey {
        case petalVersion, architecture, widthMultiplier, depth, variant, baseWidth, inputChannels, classNames, inputSize, smallImages, resize
        case normalisation = "normalization"
        case mean, std, epoch, metrics
    }

    /// Empty metadata (a ResNet-18 v1 description is filled in by ``init(resnet:classNames:)``).
    public init() {}

    /// Describes a ResNet's architecture.
    public init(resnet: ResNet, classNames: [String] = []) {
        depth = resnet.depth.rawValue
        variant = resnet.variant.rawValue
        baseWidth = resnet.baseWidth
        inputChannels = resnet.inputChannels
        self.classNames = classNames.isEmpty ? (0..<resnet.classes).map { "class\($0)" } : classNames
    }

    /// The metadata as the header stores it: sorted keys (the same metadata gives the same bytes in every process),
    /// and non-finite metrics (a diverged epoch's loss) as "nan" / "inf" strings rather than an encoding failure.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// Reads metadata written by ``json()``.
    public init(json: String) throws {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        self = try decoder.decode(CheckpointMetadata.self, from: Data(json.utf8))
    }

    /// Checks every field a reader relies on (a checkpoint is untrusted input), naming the first bad one.
    public func validate() throws {
        func bad(_ field: String, _ reason: String) -> ModelError { .invalidConfiguration("checkpoint metadata '\(field)' \(reason)") }
        guard (1...512).contains(baseWidth ?? 64) else { throw bad("baseWidth", "must be in 1…512, got \(baseWidth ?? 0)") }
        guard (1...64).contains(inputChannels) else { throw bad("inputChannels", "must be in 1…64, got \(inputChannels)") }
        guard (1...100_000).contains(classNames.count) else { throw bad("classNames", "must list 1…100000 classes, got \(classNames.count)") }
        guard inputSize.count == 2, inputSize.allSatisfy({ (1...4096).contains($0) }) else {
            throw bad("inputSize", "must be [height, width] within 1…4096, got \(inputSize)")
        }
        if let resize, !((inputSize.max() ?? 1)...4096).contains(resize) {
            throw bad("resize", "must be from the input's larger side to 4096 pixels, got \(resize)")
        }
        if let smallImages, !["skip", "pad", "resizeShortSide"].contains(smallImages) {
            throw bad("smallImages", "must be skip, pad or resizeShortSide, got '\(smallImages)'")
        }
        switch normalisation {
        case "divide255": break
        case "meanStd":
            guard let mean, let std, mean.count == inputChannels, std.count == inputChannels else {
                throw bad("mean/std", "need \(inputChannels) values each for meanStd normalisation")
            }
            guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw bad("mean/std", "must be finite, with std > 0 (got \(mean), \(std))")
            }
        default: throw bad("normalisation", "must be divide255 or meanStd, got '\(normalisation)'")
        }
    }

    /// Describes a ``ModelZoo`` network's architecture (MobileNetV3, EfficientNet, ConvNeXt).
    public init(model: any ZooClassifier, classNames: [String] = []) {
        architecture = model.architectureName
        widthMultiplier = model.widthMultiplier
        self.classNames = classNames.isEmpty ? (0..<model.classes).map { "class\($0)" } : classNames
    }

    /// Rebuilds the network this metadata describes (a ResNet or a ``ModelZoo`` network), with weights for a
    /// checkpoint to be loaded over.
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` for metadata that ``validate()`` rejects or an unknown architecture.
    public func makeModel() throws -> any ImageClassifier {
        guard architecture != "resnet" else { return try makeResNet() }
        try validate()
        guard ModelZoo.entry(architecture) != nil else {
            throw ModelError.invalidConfiguration("checkpoint describes an unknown architecture '\(architecture)'")
        }
        guard inputChannels == 3 else {
            throw ModelError.invalidConfiguration("checkpoint metadata 'inputChannels' must be 3 for \(architecture), got \(inputChannels)")
        }
        return try ModelZoo.make(architecture, classes: classNames.count, widthMultiplier: widthMultiplier ?? 1, initializer: .skip)
    }

    /// Rebuilds the ResNet this metadata describes, with zero weights for a checkpoint to be loaded over.
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` for metadata that ``validate()`` rejects or an unknown architecture.
    public func makeResNet() throws -> ResNet {
        try validate()
        guard architecture == "resnet", let depth, let d = ResNet.Depth(rawValue: depth) else {
            throw ModelError.invalidConfiguration("checkpoint describes an unknown architecture '\(architecture)' depth \(depth.map(String.init) ?? "none")")
        }
        guard let variant = ResNet.Variant(rawValue: variant ?? "v1") else {
            throw ModelError.invalidConfiguration("checkpoint describes an unknown ResNet variant '\(self.variant ?? "")'")
        }
        return try ResNet(depth: d, variant: variant, classes: classNames.count, inputChannels: inputChannels, baseWidth: baseWidth ?? 64,
                          initializer: .skip)
    }
}

/// Petal's own version, written into checkpoints and run configurations. (Not named `Petal`, which would hide the
/// `Petal` module's name from users who write `Petal.ResNet`.)
public enum PetalVersion {
    /// The version of this build.
    public static let current = "0.2.0"
}

extension SafeTensors {
    /// A Petal checkpoint of `tensors` (a state dict): `metadata` goes into the header as JSON under "petal", beside
    /// "format": "pt", which lets PyTorch tooling read the file as a state dict.
    public static func checkpoint(_ tensors: [(name: String, tensor: Tensor)], metadata: CheckpointMetadata?) throws -> SafeTensors {
        var header = ["format": "pt"]
        if let metadata { header["petal"] = try metadata.json() }
        return SafeTensors(tensors: tensors, metadata: header)
    }

    /// Writes the file atomically (a failed or interrupted write leaves any earlier file at `url` intact).
    /// - Throws: ``ModelError/checkpoint(path:reason:)`` naming the file and the reason.
    public func save(to url: URL) throws {
        do { try AtomicFile.write(try encoded(), to: url) } catch let e as FileError { throw ModelError.checkpoint(path: e.path, reason: e.reason) }
    }
}

extension Module {
    /// Writes every parameter and buffer to `url` as safetensors, atomically (a failed or interrupted save
    /// leaves any earlier file at `url` intact). `metadata` goes into the header as JSON under "petal".
    public func save(to url: URL, metadata: CheckpointMetadata? = nil) throws {
        try SafeTensors.checkpoint(stateDict, metadata: metadata).save(to: url)
    }

    /// Loads parameters and buffers from a safetensors file written by Petal or by PyTorch
    /// (`safetensors.torch.save_file(model.state_dict(), …)`), and returns its Petal metadata if any.
    /// - Parameter strict: when true, tensors in the file that the model lacks are an error too.
    @discardableResult
    public func load(from url: URL, strict: Bool = true) throws -> CheckpointMetadata? {
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError {
            throw ModelError.checkpoint(path: url.path, reason: e.reason)
        }
        let file = try SafeTensors(data: data, source: url.path)
        try load(file, source: url.path, strict: strict)
        guard let json = file.metadata["petal"] else { return nil }
        do { return try CheckpointMetadata(json: json) } catch {
            throw ModelError.checkpoint(path: url.path, reason: "its Petal metadata is malformed (\(error.localizedDescription))")
        }
    }

    /// Copies matching tensors from `file` into this model after checking all names and shapes.
    public func load(_ file: SafeTensors, source: String, strict: Bool = true) throws {
        let mine = stateDict
        let theirs = Dictionary(file.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var problems: [String] = []
        let missing = mine.map(\.name).filter { theirs[$0] == nil }
        if !missing.isEmpty { problems.append("missing \(missing.count): " + missing.prefix(8).joined(separator: ", ") + (missing.count > 8 ? ", …" : "")) }
        let known = Set(mine.map(\.name))
        let unexpected = file.tensors.map(\.name).filter { !known.contains($0) }
        if strict && !unexpected.isEmpty {
            problems.append("unexpected \(unexpected.count): " + unexpected.prefix(8).joined(separator: ", ") + (unexpected.count > 8 ? ", …" : ""))
        }
        for (name, t) in mine {
            if let other = theirs[name], other.shape != t.shape {
                problems.append("\(name) has shape \(other.shape) in the file but \(t.shape) in the model")
            }
        }
        guard problems.isEmpty else {
            throw ModelError.checkpoint(path: source, reason: "does not fit the model: " + problems.joined(separator: "; "))
        }
        // One NaN spreads through every later layer and makes every prediction the same: refuse it, naming it.
        if let (name, _) = mine.first(where: { !theirs[$0.name]!.scalars.allSatisfy(\.isFinite) }) {
            throw ModelError.checkpoint(path: source, reason: "its tensor '\(name)' holds a non-finite value (NaN or infinity): the weights are damaged or come from a diverged run")
        }
        for (name, t) in mine { try t.assign(theirs[name]!) }
    }
}

extension Module {
    /// Class probabilities [N, classes] for a batch, in inference mode without recording gradients, fused (see
    /// ``fusedForInference()``; keep a ``FusedInference`` instead when predicting many batches). The module is left in
    /// the mode it was in.
    public func predictProbabilities(_ batch: Tensor) throws -> Tensor {
        try withoutGradients { try fusedForInference()(batch).softmax() }
    }

    /// Runs `body` in inference mode with no gradients recorded (``evaluating(_:)`` and `withoutGradients`): the
    /// model is not written to, so several threads may predict with it at once, in training mode or not.
    public func inferring<R>(_ body: () throws -> R) rethrows -> R {
        try evaluating { try withoutGradients(body) }
    }
}
