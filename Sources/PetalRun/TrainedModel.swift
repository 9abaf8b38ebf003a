// A trained model read back for evaluation and prediction: the checkpoint, its metadata, and the data settings
// of the run folder it came from (so images are prepared exactly as in training).
import Foundation
import PetalData
import PetalNN
import PetalTrain

/// A checkpoint ready to evaluate or predict, with the preparation its images need.
public struct TrainedModel {
    /// The network, in inference mode.
    public let model: ResNet
    /// What the checkpoint says about the model and its input.
    public let metadata: CheckpointMetadata
    /// The training run's data settings when the checkpoint sits in a run folder, else the checkpoint's own.
    public let data: DataConfig
    /// The run folder's split file, when there is one.
    public let splitFile: URL?

    /// Loads a checkpoint written by a run (or any checkpoint with Petal metadata).
    public init(checkpoint url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.checkpoint(path: url.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw ModelError.checkpoint(path: url.path, reason: "is a folder, not a checkpoint file") }
        let classifier = try Classifier(checkpoint: url)
        let folder = url.deletingLastPathComponent()
        // Only the data settings are needed, so a configuration from an older Petal still serves.
        struct DataPart: Decodable { var data: DataConfig }
        let saved = (try? Data(contentsOf: folder.appendingPathComponent(RunFiles.configuration))).flatMap { try? RunJSON.decode(DataPart.self, from: $0) }
        let split = folder.appendingPathComponent(RunFiles.split)
        (model, metadata, data, splitFile) = (classifier.model, classifier.metadata, saved?.data ?? classifier.preparation,
                                              FileManager.default.fileExists(atPath: split.path) ? split : nil)
    }

    /// The class names, in label order.
    public var classNames: [String] { metadata.classNames }

    /// Evaluates the model on the data set at `root`: on the run's validation split when the checkpoint has one and
    /// `allImages` is off, else on every usable image of the folder.
    public func evaluate(on root: URL, allImages: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in }) throws -> EvaluationSummary {
        EvaluationSummary(try evaluation(on: root, allImages: allImages, log: log).evaluation, classes: metadata.classNames)
    }

    /// The raw evaluation (every image's probabilities) and the images in its order, as ``evaluate(on:allImages:log:)``
    /// chooses them; for per-image views such as ``TopLosses``. `flipAveraging` averages each image's probabilities with
    /// its mirror image's (test-time augmentation).
    public func evaluation(on root: URL, allImages: Bool = false, flipAveraging: Bool = false, log: @escaping @Sendable (String) -> Void = { _ in })
        throws -> (evaluation: Evaluation, images: [URL]) {
        var config = data
        config.classes = metadata.classNames
        config.augmentation = nil
        config.appendAugmentedCopy = false
        config.perClassLimit = nil
        let source: DataLoader
        if allImages || splitFile == nil {
            config.validationPerClassLimit = nil
            source = try DataPipeline.prepareEvaluation(root: root, config: config, log: log)
        } else {
            // Every validation image counts, even when the run's training side was smaller than a batch.
            config.dropLast = false
            source = try DataPipeline.prepare(root: root, config: config, splitFile: splitFile, log: log).validation
        }
        return (try PetalTrain.evaluate(model, on: source, flipAveraging: flipAveraging), source.samples.map { source.root.appendingPathComponent($0.path) })
    }
}
