// A trained model read back for prediction and evaluation: the checkpoint, its metadata, and the data settings of the
// run folder it came from (so images are prepared exactly as in training). Every way Petal predicts goes through it:
// `predict`, `evaluate`, `export`, `serve` and the library.
import Foundation
import PetalData
import PetalImage
import PetalNN
import PetalTrain

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

/// A checkpoint ready to predict or evaluate, with the preparation its images need.
public struct TrainedModel {
    /// The network (a ResNet, a MobileNetV3 or an EfficientNet).
    public let model: any ImageClassifier
    /// What the checkpoint says about the model and its input.
    public let metadata: CheckpointMetadata
    /// The training run's data settings when the checkpoint sits in a run folder, else the checkpoint's own.
    public let data: DataConfig
    /// The run folder's split file, when there is one.
    public let splitFile: URL?
    /// The int8 model of a checkpoint written by `petal quantize` (``quantized(calibration:images:method:keepingFirstConvolution:log:)``), else nil.
    public let quantized: QuantizedModel?
    /// What computes predictions and evaluations: the int8 model of a quantized checkpoint, else ``model``. (Grad-CAM
    /// explains ``model``, the fp32 weights, for both.)
    public var inference: Module { quantized ?? model }
    /// Runs the model on single images, replaying a recording of the forward pass.
    private let session: InferenceSession

    /// Loads a checkpoint written by a run (or any checkpoint with Petal metadata).
    public init(checkpoint url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.checkpoint(path: url.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw ModelError.checkpoint(path: url.path, reason: "is a folder, not a checkpoint file") }
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError { throw ModelError.checkpoint(path: url.path, reason: e.reason) }
        let file = try SafeTensors(data: data, source: url.path)
        guard let json = file.metadata["petal"], let meta = try? CheckpointMetadata(json: json) else {
            throw ModelError.checkpoint(path: url.path, reason: "has no Petal metadata (architecture, classes, input size)")
        }
        // A crafted header can describe a huge model: refuse one whose tensors the file does not hold, before allocating it.
        if let depth = meta.depth.flatMap(ResNet.Depth.init(rawValue:)) {
            let expected = ResNet.estimatedParameterCount(depth: depth, baseWidth: meta.baseWidth ?? 64)
            let held = file.tensors.reduce(0.0) { $0 + Double($1.tensor.count) }
            guard held >= expected / 2 else {
                throw ModelError.checkpoint(path: url.path, reason: String(format: "its metadata describes a ResNet-%d of width %d (about %@ parameters), but it holds only %.0f values",
                                                                          depth.rawValue, meta.baseWidth ?? 64, Int(expected).formatted(), held))
            }
        }
        let model: any ImageClassifier
        do { model = try meta.makeModel() } catch ModelError.invalidConfiguration(let reason) {
            throw ModelError.checkpoint(path: url.path, reason: reason)
        }
        try model.load(file, source: url.path)
        var quantized: QuantizedModel?
        if let json = file.metadata[QuantizationRecord.metadataKey] {
            do {
                let record = try JSONDecoder().decode(QuantizationRecord.self, from: Data(json.utf8))
                guard record.inputShape == [meta.inputChannels] + meta.inputSize else {
                    throw ModelError.invalidConfiguration("int8 metadata: inputShape \(record.inputShape) disagrees with the checkpoint's input")
                }
                quantized = try model.quantized(record)
            } catch let e as ModelError {
                throw ModelError.checkpoint(path: url.path, reason: e.description)
            } catch {
                throw ModelError.checkpoint(path: url.path, reason: "its int8 metadata is malformed (\(error.localizedDescription))")
            }
        }
        self.quantized = quantized
        // The run folder's data settings when the checkpoint sits in one; only those are read, so a configuration
        // from an older Petal still serves.
        struct DataPart: Decodable { var data: DataConfig }
        let folder = url.deletingLastPathComponent()
        let saved = (try? Data(contentsOf: folder.appendingPathComponent(RunFiles.configuration))).flatMap { try? RunJSON.decode(DataPart.self, from: $0) }
        let split = folder.appendingPathComponent(RunFiles.split)
        (self.model, metadata, self.data, splitFile) = (model, meta, saved?.data ?? Self.preparation(meta),
                                                        FileManager.default.fileExists(atPath: split.path) ? split : nil)
        session = InferenceSession(quantized ?? model)
    }

    /// The preparation a checkpoint's metadata describes (resize, crop, small-image policy, normalisation).
    static func preparation(_ meta: CheckpointMetadata) -> DataConfig {
        var config = DataConfig(cropHeight: meta.inputSize.first ?? 100, cropWidth: meta.inputSize.last ?? 100,
                                smallImages: meta.smallImages.flatMap(SmallImagePolicy.init(rawValue:)) ?? .skip, resize: meta.resize)
        if meta.normalisation == "meanStd", let mean = meta.mean, let std = meta.std { config.normalisation = .meanStd(mean: mean, std: std) }
        return config
    }

    /// The class names, in label order.
    public var classNames: [String] { metadata.classNames }

    /// Labels a decoded image.
    public func predict(_ image: ByteImage) throws -> Prediction {
        try prediction(input: ImageInput.tensor(image: image, config: data))
    }

    /// Labels the image in a file.
    public func predict(file: URL) throws -> Prediction {
        try prediction(input: ImageInput.tensor(from: file, config: data))
    }

    /// Labels one prepared model input [1, C, H, W] (as `ImageInput` makes it with ``data``).
    public func prediction(input: Tensor) throws -> Prediction {
        let p = try session.probabilities(input).scalars
        let best = p.indices.max { p[$0] < p[$1] }!
        return Prediction(label: best, className: best < classNames.count ? classNames[best] : "class\(best)", probabilities: p)
    }

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
        return (try PetalTrain.evaluate(inference, on: source, flipAveraging: flipAveraging), source.samples.map { source.root.appendingPathComponent($0.path) })
    }
}

extension TrainedModel {
    /// This fp32 model quantized after training (see ``PetalNN/Module/quantized(calibration:method:keepingFirstConvolution:)``):
    /// calibrated on up to `images` images of the data set at `root`, prepared as this model's inputs and taken evenly
    /// from its classes.
    /// - Throws: ``RunError`` or `DataError` for an unusable folder, `ModelError` for a model that cannot be quantized
    ///   (already int8, untraceable).
    public func quantized(calibration root: URL, images: Int = 256, method: CalibrationMethod = .minMax, keepingFirstConvolution: Bool = false,
                          log: @escaping @Sendable (String) -> Void = { _ in }) throws -> QuantizedModel {
        guard quantized == nil else { throw ModelError.invalidConfiguration("the checkpoint is already int8; quantize its fp32 checkpoint") }
        guard images > 0 else { throw ModelError.invalidConfiguration("the number of calibration images must be positive, got \(images)") }
        var config = data
        config.classes = metadata.classNames
        config.perClassLimit = (images + metadata.classNames.count - 1) / max(metadata.classNames.count, 1)
        config.dropLast = false
        let source = try DataPipeline.prepareEvaluation(root: root, config: config, log: log)
        var batches: [Tensor] = [], seen = 0
        let iterator = try source.batches(epoch: 0)
        while seen < images, let batch = iterator.next() {
            batches.append(batch.images)
            seen += batch.images.shape[0]
        }
        let int8 = try model.quantized(calibration: batches, method: method, keepingFirstConvolution: keepingFirstConvolution)
        int8.record.calibrationData = root.path
        return int8
    }
}
