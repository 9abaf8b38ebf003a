// A trained model ready to label images: rebuilt from a checkpoint, preparing each image exactly as training
// did (crop size, small-image policy and normalisation read from the checkpoint's metadata).
import Foundation
import PetalImage

/// One image's prediction.
public struct Prediction: Sendable, Equatable {
    /// Index of the most probable class.
    public let label: Int
    /// The name of that class.
    public let className: String
    /// Softmax probabilities in class order.
    public let probabilities: [Float]
    /// The probability of the predicted class.
    public var confidence: Float { probabilities[label] }
}

/// A checkpointed ResNet plus what is needed to feed it images.
public struct Classifier {
    /// The network, in inference mode.
    public let model: ResNet
    /// What the checkpoint says about the model and its input.
    public let metadata: CheckpointMetadata
    /// The preparation applied to every image (from the metadata).
    public let preparation: DataConfig
    /// Runs the model: each image is a batch of one, replayed from a recording of the forward pass.
    private let session: InferenceSession

    /// Loads a checkpoint written with Petal metadata (as `petal train` and `ModelCheckpoint` write them).
    public init(checkpoint url: URL) throws {
        let file = try SafeTensors(data: try Self.read(url), source: url.path)
        guard let json = file.metadata["petal"], let meta = try? CheckpointMetadata(json: json) else {
            throw ModelError.checkpoint(path: url.path, reason: "has no Petal metadata (architecture, classes, input size)")
        }
        // A crafted header can describe a huge model: refuse one whose tensors the file does not hold, before allocating it.
        if let depth = meta.depth.flatMap(ResNet.Depth.init(rawValue:)) {
            let expected = ResNet.estimatedParameterCount(depth: depth, baseWidth: meta.baseWidth ?? 64)
            let held = file.tensors.reduce(0.0) { $0 + Double($1.tensor.count) }
            guard held >= expected / 2 else {
                throw ModelError.checkpoint(path: url.path, reason: String(format: "its metadata describes a ResNet-%d of width %d (about %.0f million parameters), but it holds only %.0f values",
                                                                          depth.rawValue, meta.baseWidth ?? 64, expected / 1e6, held))
            }
        }
        let model: ResNet
        do { model = try meta.makeResNet() } catch ModelError.invalidConfiguration(let reason) {
            throw ModelError.checkpoint(path: url.path, reason: reason)
        }
        try model.load(file, source: url.path)
        model.eval()
        var config = DataConfig(cropHeight: meta.inputSize.first ?? 100, cropWidth: meta.inputSize.last ?? 100,
                                smallImages: meta.smallImages.flatMap(SmallImagePolicy.init(rawValue:)) ?? .skip)
        if meta.normalisation == "meanStd", let mean = meta.mean, let std = meta.std { config.normalisation = .meanStd(mean: mean, std: std) }
        (self.model, metadata, preparation) = (model, meta, config)
        session = InferenceSession(model)
    }

    private static func read(_ url: URL) throws -> Data {
        do { return try FileSystem.read(url.path) } catch let e as FileError {
            throw ModelError.checkpoint(path: url.path, reason: e.reason)
        }
    }

    /// Labels a decoded image.
    public func predict(_ image: ByteImage) throws -> Prediction {
        try prediction(session.probabilities(ImageInput.tensor(image: image, config: preparation)).scalars)
    }

    /// Labels the image in a file.
    public func predict(file: URL) throws -> Prediction {
        try prediction(session.probabilities(ImageInput.tensor(from: file, config: preparation)).scalars)
    }

    private func prediction(_ p: [Float]) -> Prediction {
        let best = argmaxRows(p, columns: p.count)[0]
        let name = best < metadata.classNames.count ? metadata.classNames[best] : "class\(best)"
        return Prediction(label: best, className: name, probabilities: p)
    }
}
