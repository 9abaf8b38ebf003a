// The settings of a training run as one typed, Codable value: what a run folder's `config.json` holds, and all
// that a resumed run needs to continue exactly as it began. Everything is checked by `validate()` before any
// data is read, so a bad setting fails at once with the setting named.
import Foundation
import PetalData
import PetalNN
import PetalTrain

/// The network a run trains.
public struct ModelSettings: Codable, Sendable, Equatable {
    /// The families a run builds.
    public enum Architecture: String, Codable, Sendable, CaseIterable {
        case resnet
        case mobileNetV3Small = "mobilenet_v3_small"
        case mobileNetV3Large = "mobilenet_v3_large"
        case efficientNetB0 = "efficientnet_b0"
        case efficientNetB1 = "efficientnet_b1"
        case efficientNetB2 = "efficientnet_b2"
        case efficientNetB3 = "efficientnet_b3"
        case convNeXtTiny = "convnext_tiny"
        case convNeXtSmall = "convnext_small"
        case convNeXtBase = "convnext_base"
        case convNeXtLarge = "convnext_large"
        case vitB16 = "vit_b_16"
        case vitB32 = "vit_b_32"
        case vitL16 = "vit_l_16"
        case vitL32 = "vit_l_32"
        case vitH14 = "vit_h_14"
    }

    /// The family: a ResNet (``depth``, ``variant``, ``width``) or a ``ModelZoo`` network (``widthMultiplier``).
    public var architecture = Architecture.resnet
    /// A ``ModelZoo`` network's width multiplier beyond the published network's (torchvision's `width_mult`).
    public var widthMultiplier = 1.0
    /// ResNet-18, 34, 50, 101 or 152.
    public var depth: ResNet.Depth
    /// Pre-activation blocks (the tutorial's Keras builder) or torchvision's v1.
    public var variant: ResNet.Variant
    /// Channels of the first stage (64 in the paper).
    public var width: Int
    /// Convolution arithmetic (fp32, or bf16 with fp32 weights).
    public var precision: Precision
    /// Winograd where it pays, or always the direct sum.
    public var convolution: ConvolutionAlgorithm
    /// Every batch norm's momentum (PyTorch's convention: the weight of each batch in the running statistics); nil
    /// keeps the network's own (PyTorch's 0.1; 0.01 in MobileNetV3, tuned for ImageNet's many steps per epoch, and in
    /// the Keras-convention ResNet).
    public var batchNormMomentum: Float?

    /// - Parameters:
    ///   - depth: the ResNet's depth (18 by default).
    ///   - variant: block variant (pre-activation by default, as the tutorial).
    ///   - width: channels of the first stage, 1…512.
    ///   - precision: convolution arithmetic.
    ///   - convolution: convolution algorithm.
    public init(depth: ResNet.Depth = .r18, variant: ResNet.Variant = .preActivation, width: Int = 64,
                precision: Precision = .fp32, convolution: ConvolutionAlgorithm = .auto) {
        (self.depth, self.variant, self.width, self.precision, self.convolution) = (depth, variant, width, precision, convolution)
    }

    /// The widest first stage accepted: 8× the paper's, already about 64× its weights.
    public static let maximumWidth = 512

    private enum CodingKeys: String, CodingKey {
        case architecture, widthMultiplier, depth, variant, width, precision, convolution, batchNormMomentum
    }

    /// Reads the settings, also those of a `config.json` written before other families existed (a ResNet).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decodeIfPresent(Architecture.self, forKey: .architecture) ?? .resnet
        widthMultiplier = try c.decodeIfPresent(Double.self, forKey: .widthMultiplier) ?? 1
        depth = try c.decode(ResNet.Depth.self, forKey: .depth)
        variant = try c.decode(ResNet.Variant.self, forKey: .variant)
        width = try c.decode(Int.self, forKey: .width)
        precision = try c.decode(Precision.self, forKey: .precision)
        convolution = try c.decode(ConvolutionAlgorithm.self, forKey: .convolution)
        batchNormMomentum = try c.decodeIfPresent(Float.self, forKey: .batchNormMomentum)
    }

    /// Parameters of this network, estimated before anything is allocated (torchvision's counts at width 1 and 1000
    /// classes, scaled by the square of the width multiplier).
    var estimatedParameters: Double {
        let published = Double(ModelZoo.entry(architecture.rawValue)?.parameters ?? 0)
        return architecture == .resnet ? ResNet.estimatedParameterCount(depth: depth, baseWidth: width) : published * widthMultiplier * widthMultiplier
    }
}

/// Which optimizer a run uses.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable {
    case sgd, adam, adamw
}

/// The optimizer of a run and its settings.
public struct OptimizerSettings: Codable, Sendable, Equatable {
    /// SGD, Adam or AdamW.
    public var kind: OptimizerKind
    /// The base rate (the schedule starts from it).
    public var learningRate: Float
    /// SGD momentum, 0 ≤ m < 1.
    public var momentum: Float
    /// Nesterov momentum (SGD).
    public var nesterov: Bool
    /// L2 weight decay (decoupled for AdamW).
    public var weightDecay: Float
    /// Clip each gradient tensor to this L2 norm (Keras' clipnorm); 0 turns clipping off.
    public var clipNorm: Float
    /// Discriminative learning rates (fastai's `slice(lr·f, lr)`): the model's first layer learns at this fraction of
    /// the rate, its last (the classifier) at the full rate, the layers between on a geometric scale. nil: one rate.
    public var discriminativeFactor: Float?

    /// - Parameters:
    ///   - kind: SGD (default), Adam or AdamW.
    ///   - learningRate: the schedule's base rate (0.1, the tutorial's).
    ///   - momentum: SGD momentum (0).
    ///   - nesterov: Nesterov momentum (off).
    ///   - weightDecay: weight decay (0).
    ///   - clipNorm: per-tensor gradient norm limit (1, the tutorial's `clipnorm=1`); 0 for none.
    public init(kind: OptimizerKind = .sgd, learningRate: Float = 0.1, momentum: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0, clipNorm: Float = 1) {
        (self.kind, self.learningRate, self.momentum, self.nesterov, self.weightDecay, self.clipNorm)
            = (kind, learningRate, momentum, nesterov, weightDecay, clipNorm)
    }

    /// An optimizer over `model`'s parameters with these settings, including the discriminative rates by top-level layer.
    public func makeOptimizer(for model: Module, learningRate rate: Float? = nil) throws -> Optimizer {
        let optimizer = try makeOptimizer(model.parameters, learningRate: rate)
        if let f = discriminativeFactor { optimizer.learningRateScales = Self.discriminativeScales(model, factor: f) }
        return optimizer
    }

    /// Per-parameter rate factors: top-level layers with parameters, in order, from `factor` to 1 geometrically.
    static func discriminativeScales(_ model: Module, factor: Float) -> [Float] {
        let groups = model.children.filter { !$0.module.parameters.isEmpty }
        guard groups.count > 1 else { return model.parameters.map { _ in 1 } }
        return groups.enumerated().flatMap { i, child in
            let scale = Float(Foundation.pow(Double(factor), Double(groups.count - 1 - i) / Double(groups.count - 1)))
            return child.module.parameters.map { _ in scale }
        }
    }

    /// An optimizer over `parameters` with these settings (at `learningRate` unless another rate is given).
    public func makeOptimizer(_ parameters: [Tensor], learningRate rate: Float? = nil) throws -> Optimizer {
        let lr = rate ?? learningRate
        let clipping: GradientClipping = clipNorm > 0 ? .normPerTensor(clipNorm) : .none
        switch kind {
        case .sgd: return try SGD(parameters: parameters, learningRate: lr, momentum: momentum, nesterov: nesterov,
                                  weightDecay: weightDecay, clipping: clipping)
        case .adam: return try Adam(parameters: parameters, learningRate: lr, weightDecay: weightDecay, clipping: clipping)
        case .adamw: return try Adam(parameters: parameters, learningRate: lr, weightDecay: weightDecay, decoupledWeightDecay: true,
                                     clipping: clipping)
        }
    }
}

/// How the learning rate moves over a run, independent of the data set's size (resolved to a `Schedule` once
/// the number of batches per epoch is known).
public enum SchedulePolicy: Codable, Sendable, Equatable {
    /// The base rate throughout.
    case constant
    /// base · factor^⌊epoch / every⌋ (the tutorial's: factor 0.5, every epoch).
    case stepDecay(factor: Float, every: Int)
    /// One epoch of linear warm-up, then cosine annealing to base / 100 at the end of the run.
    case cosine
    /// fastai's one-cycle with the base rate as its maximum.
    case oneCycle

    /// The schedules by name (what `petal train --schedule` takes).
    public enum Name: String, CaseIterable, Sendable {
        case step, constant, cosine, onecycle
    }

    /// The policy a name stands for (step decay ×0.5 every epoch unless told otherwise).
    public init(_ name: Name, decayFactor: Float = 0.5, decayEvery: Int = 1) {
        self = switch name {
        case .step: .stepDecay(factor: decayFactor, every: decayEvery)
        case .constant: .constant
        case .cosine: .cosine
        case .onecycle: .oneCycle
        }
    }

    /// The schedule for a run of `epochs` epochs of `stepsPerEpoch` batches starting from `base`.
    public func schedule(base: Float, epochs: Int, stepsPerEpoch: Int) -> Schedule {
        switch self {
        case .constant: .constant(base)
        case .stepDecay(let factor, let every): .stepDecay(base: base, factor: factor, every: every)
        case .cosine: .cosine(base: base, minimum: base / 100, warmupSteps: stepsPerEpoch, totalSteps: max(epochs * stepsPerEpoch, stepsPerEpoch + 1))
        case .oneCycle: .oneCycle(maximum: base, totalSteps: max(epochs * stepsPerEpoch, 2))
        }
    }
}

/// Where and what a run logs for TensorBoard.
public struct TensorBoardSettings: Codable, Sendable, Equatable {
    /// Write event files (on by default).
    public var enabled: Bool
    /// The log folder; nil for the run folder's `tensorboard/`.
    public var directory: URL? {
        get { directoryPath.map { URL(fileURLWithPath: $0, isDirectory: true) } }
        set { directoryPath = newValue?.path }
    }
    /// Also write every parameter's histogram each epoch.
    public var histograms: Bool
    // Paths are kept as the plain text config.json shows.
    private var directoryPath: String?

    private enum CodingKeys: String, CodingKey {
        case enabled, histograms, directoryPath = "directory"
    }

    /// - Parameters:
    ///   - enabled: write event files.
    ///   - directory: the log folder (the run folder's `tensorboard/` by default).
    ///   - histograms: also log every parameter's histogram each epoch.
    public init(enabled: Bool = true, directory: URL? = nil, histograms: Bool = false) {
        (self.enabled, self.directoryPath, self.histograms) = (enabled, directory?.path, histograms)
    }
}

/// Every setting of a training run (`config.json`).
public struct RunConfiguration: Codable, Sendable, Equatable {
    /// The class-folder data set.
    public var dataDirectory: URL {
        get { URL(fileURLWithPath: dataPath, isDirectory: true) }
        set { dataPath = newValue.path }
    }
    // Paths are kept as the plain text config.json shows.
    private var dataPath: String
    private var pretrainedPath: String?
    /// Crops, split, batches and augmentation.
    public var data: DataConfig
    /// The network.
    public var model: ModelSettings
    /// The optimizer.
    public var optimizer: OptimizerSettings
    /// The learning-rate schedule.
    public var schedule: SchedulePolicy
    /// The recipe the optimizer and schedule started from (nil in runs written before recipes existed, which used
    /// the tutorial's unless told otherwise); ``optimizer`` and ``schedule`` hold what the run really uses.
    public var recipe: Recipe?
    /// Epochs to train.
    public var epochs: Int
    /// The log key that picks the best checkpoint (`val_auc`, `val_accuracy`, `val_loss`, `loss`, `accuracy`).
    public var monitor: String
    /// Whether larger or smaller is better; `nil` picks Keras' automatic rule for the key.
    public var mode: MonitorMode?
    /// Stop after this many epochs without improvement of `monitor` (none by default).
    public var earlyStoppingPatience: Int?
    /// Weights to start from instead of random ones (fine-tuning): a PyTorch `.pth` state dict such as torchvision's
    /// published ResNet weights, a safetensors file with torchvision's names, or a Petal checkpoint. The classifier is
    /// replaced by a fresh one when the number of classes differs.
    public var pretrained: URL? {
        get { pretrainedPath.map { URL(fileURLWithPath: $0) } }
        set { pretrainedPath = newValue?.path }
    }
    /// With ``pretrained`` weights: epochs during which only the classifier learns and the rest stays as loaded, its
    /// batch-norm statistics included (fastai's `fine_tune` freeze); then everything learns. 0 by default.
    public var freezeEpochs = 0
    /// In a distributed run, normalise each batch-norm layer with the statistics of the whole global batch
    /// (PyTorch's SyncBatchNorm) instead of each rank's part (DDP's default); false (the default) for per-rank statistics.
    public var synchronizedBatchNorm = false
    /// Label smoothing ε of the cross-entropy ((1 − ε)·one-hot + ε / classes); nil or 0 for none.
    public var labelSmoothing: Float?
    /// Weight each class's images by the inverse of its share of the training images (scikit-learn's "balanced"),
    /// for unbalanced folders; false (the default) for equal weights.
    public var balancedClassWeights = false
    /// Evaluate the best checkpoint with test-time augmentation: each image's probabilities averaged with its
    /// mirror image's; false (the default) for none.
    public var testTimeAugmentation = false
    /// TensorBoard logging; nil for the defaults (event files in the run folder's `tensorboard/`).
    public var tensorBoard: TensorBoardSettings?
    /// Compute threads of the run: it computes on a `Device` of its own with this many threads (the process's devices
    /// are left as they are); nil computes on the caller's current device. A resume uses the same count by default,
    /// since oneDNN's sums may round differently with another.
    public var threads: Int?
    /// The Petal version that wrote the configuration.
    public var petalVersion: String
    /// The network when the run was given a ``ModelFactory`` of its own (its ``ModelFactory/modelDescription``); nil
    /// when the run trains ``model``. A run with a model of its own resumes only with that factory.
    public var customModel: String?
    /// The data when the run was given a ``RunData`` of its own (its ``RunData/description``); nil when the run reads
    /// the class folders of ``dataDirectory``. Such a run resumes only with the same data.
    public var customData: String?
    /// The run's identity, drawn when it begins and recorded in its resume unit too, so that a resume refuses a
    /// training state copied from another run; nil in runs begun by a Petal without it.
    public var runID: String?

    private enum CodingKeys: String, CodingKey {
        case dataPath = "dataDirectory", pretrainedPath = "pretrained"
        case data, model, optimizer, schedule, recipe, epochs, monitor, mode, earlyStoppingPatience, freezeEpochs, synchronizedBatchNorm
        case labelSmoothing, balancedClassWeights, testTimeAugmentation, tensorBoard, threads, petalVersion, customModel, customData, runID
    }

    /// Reads a `config.json`, also one written by an older Petal: settings it did not have take their defaults, and
    /// the on/off settings it wrote as absent or null read as off.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dataPath = try c.decode(String.self, forKey: .dataPath)
        pretrainedPath = try c.decodeIfPresent(String.self, forKey: .pretrainedPath)
        data = try c.decode(DataConfig.self, forKey: .data)
        model = try c.decode(ModelSettings.self, forKey: .model)
        optimizer = try c.decode(OptimizerSettings.self, forKey: .optimizer)
        schedule = try c.decode(SchedulePolicy.self, forKey: .schedule)
        recipe = try c.decodeIfPresent(Recipe.self, forKey: .recipe)
        epochs = try c.decode(Int.self, forKey: .epochs)
        monitor = try c.decode(String.self, forKey: .monitor)
        mode = try c.decodeIfPresent(MonitorMode.self, forKey: .mode)
        earlyStoppingPatience = try c.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience)
        freezeEpochs = try c.decodeIfPresent(Int.self, forKey: .freezeEpochs) ?? 0
        synchronizedBatchNorm = try c.decodeIfPresent(Bool.self, forKey: .synchronizedBatchNorm) ?? false
        labelSmoothing = try c.decodeIfPresent(Float.self, forKey: .labelSmoothing)
        balancedClassWeights = try c.decodeIfPresent(Bool.self, forKey: .balancedClassWeights) ?? false
        testTimeAugmentation = try c.decodeIfPresent(Bool.self, forKey: .testTimeAugmentation) ?? false
        tensorBoard = try c.decodeIfPresent(TensorBoardSettings.self, forKey: .tensorBoard)
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        petalVersion = try c.decodeIfPresent(String.self, forKey: .petalVersion) ?? "unknown"
        customModel = try c.decodeIfPresent(String.self, forKey: .customModel)
        customData = try c.decodeIfPresent(String.self, forKey: .customData)
        runID = try c.decodeIfPresent(String.self, forKey: .runID)
    }

    /// - Parameters:
    ///   - dataDirectory: the folder with one sub-folder of images per class.
    ///   - data: data settings (the tutorial's crops and split by default).
    ///   - model: the network.
    ///   - recipe: where the optimizer and schedule start from (``Recipe/standard``, Petal's default).
    ///   - optimizer: the recipe's optimizer replaced.
    ///   - schedule: the recipe's schedule replaced.
    ///   - epochs: epochs to train (10).
    ///   - monitor: the key that picks the best checkpoint (`val_auc`).
    ///   - mode: larger or smaller is better (automatic from the key by default).
    ///   - earlyStoppingPatience: epochs without improvement before stopping (never by default).
    public init(dataDirectory: URL, data: DataConfig = DataConfig(), model: ModelSettings = ModelSettings(),
                recipe: Recipe = .standard, optimizer: OptimizerSettings? = nil, schedule: SchedulePolicy? = nil,
                epochs: Int = 10, monitor: String = "val_auc", mode: MonitorMode? = nil, earlyStoppingPatience: Int? = nil) {
        (self.dataPath, self.data, self.model, self.epochs, self.monitor, self.mode, self.earlyStoppingPatience)
            = (dataDirectory.path, data, model, epochs, monitor, mode, earlyStoppingPatience)
        (self.recipe, self.optimizer, self.schedule) = (recipe, optimizer ?? recipe.optimizer, schedule ?? recipe.schedule)
        petalVersion = PetalVersion.current
    }

    /// A fresh model for `classes` classes from `factory` (the configured ``model`` by default): seeded initial weights,
    /// or the ``pretrained`` ones (with a new classifier when the number of classes differs, which `log` is told).
    public func makeModel(classes: Int, factory: (any ModelFactory)? = nil, log: (String) -> Void = { _ in }) throws -> Module {
        let model = try (factory ?? self.model).makeModel(classes: classes, seed: data.seed)
        if let pretrained {
            // The last linear layer is replaced when the classes differ: a ResNet's `fc`, MobileNetV3's `classifier.3`,
            // EfficientNet's `classifier.1`.
            let classifier = model.namedModules.last { $0.module is Dense }.map { ["\($0.name).weight", "\($0.name).bias"] } ?? []
            let weights = try PretrainedWeights.read(pretrained)
            let fresh: [String]
            do { fresh = try PretrainedWeights.load(weights, into: model, source: pretrained.path, classifier: classifier) } catch ModelError.checkpoint(let path, let reason) {
                // The usual mistake: torchvision's (v1) weights for the default pre-activation network, or the reverse.
                guard let resnet = model as? ResNet else { throw ModelError.checkpoint(path: path, reason: reason) }
                let names = Set(weights.tensors.map(\.name))
                let v1 = names.contains("bn1.weight") && names.contains("layer1.0.bn2.weight") && !names.contains("bn_final.weight")
                let hint = switch (resnet.variant, v1) {
                case (.preActivation, true), (.keras, true): "; these are torchvision's ResNet (v1) weights: choose the v1 variant (--variant v1)"
                case (.v1, false) where names.contains("bn_final.weight"): "; these are pre-activation ResNet weights: choose that variant (--variant preact)"
                default: ""
                }
                throw ModelError.checkpoint(path: path, reason: reason + hint)
            }
            log("Starting from the weights in \(pretrained.path)" + (fresh.isEmpty ? "" : "; the classifier (\(fresh.joined(separator: ", "))) is new, for \(classes) classes"))
        }
        return model
    }

    /// The training loss: cross-entropy with the configuration's label smoothing and, when balanced, class weights
    /// from `classCounts` (training images per class).
    public func loss(classCounts: [Int]) -> Loss {
        let weights = balancedClassWeights ? ScanReport.balancedClassWeights(counts: classCounts) : nil
        return .categoricalCrossEntropy(classWeights: weights, labelSmoothing: labelSmoothing ?? 0)
    }

    /// The keys a run's epoch logs hold, any of which can be monitored.
    public static let monitorableKeys = ["val_auc", "val_accuracy", "val_loss", "loss", "accuracy"]

    /// The monitor's direction: the configured one, or Keras' automatic rule.
    public var monitorMode: MonitorMode { mode ?? .automatic(for: monitor) }

    /// Checks every setting, naming the first bad one (``RunError/invalidSetting(_:reason:)``).
    public func validate() throws {
        func bad(_ name: String, _ reason: String) -> RunError { .invalidSetting(name, reason: reason) }
        func positive(_ value: Float, _ name: String) throws {
            guard value.isFinite, value > 0 else { throw bad(name, "must be a positive number, got \(value)") }
        }
        guard (1...100_000).contains(epochs) else { throw bad("epochs", "must be in 1…100000, got \(epochs)") }
        guard (1...ModelSettings.maximumWidth).contains(model.width) else {
            throw bad("width", "must be in 1…\(ModelSettings.maximumWidth), got \(model.width)")
        }
        if let m = model.batchNormMomentum, !(m > 0 && m <= 1) { throw bad("batchNormMomentum", "must be in (0, 1], got \(m)") }
        if model.architecture != .resnet && !(model.widthMultiplier > 0 && model.widthMultiplier <= 8) {
            throw bad("widthMultiplier", "must be in (0, 8], got \(model.widthMultiplier)")
        }
        if model.precision == .bf16 && !Device.default.supportsBF16Convolutions {
            throw bad("precision", "bf16 needs a CPU on which oneDNN has bf16 convolutions (AVX512-BF16, AMX or AVX-512); this one has none")
        }
        try positive(optimizer.learningRate, "learningRate")
        guard optimizer.momentum.isFinite, (0..<1).contains(optimizer.momentum) else { throw bad("momentum", "must be in [0, 1), got \(optimizer.momentum)") }
        guard optimizer.weightDecay.isFinite, optimizer.weightDecay >= 0 else { throw bad("weightDecay", "must be ≥ 0, got \(optimizer.weightDecay)") }
        guard optimizer.clipNorm.isFinite, optimizer.clipNorm >= 0 else {
            throw bad("clipNorm", "must be ≥ 0 (0 turns clipping off), got \(optimizer.clipNorm)")
        }
        if optimizer.nesterov && optimizer.kind != .sgd { throw bad("nesterov", "applies to SGD only") }
        if let f = optimizer.discriminativeFactor, !(f > 0 && f <= 1) {
            throw bad("discriminativeRates", "must be in (0, 1] (the first layer's fraction of the rate), got \(f)")
        }
        if case .stepDecay(let factor, let every) = schedule {
            guard factor.isFinite, factor > 0, factor <= 1 else { throw bad("decayFactor", "must be in (0, 1], got \(factor)") }
            guard every >= 1 else { throw bad("decayEvery", "must be at least 1 epoch, got \(every)") }
        }
        guard Self.monitorableKeys.contains(monitor) else {
            throw bad("monitor", "'\(monitor)' is not a key of the epoch logs; use one of \(Self.monitorableKeys.joined(separator: ", "))")
        }
        if let p = earlyStoppingPatience, p < 1 { throw bad("earlyStopping", "must be at least 1 epoch, got \(p)") }
        if let e = labelSmoothing, !(e >= 0 && e < 1) { throw bad("labelSmoothing", "must be in [0, 1), got \(e)") }
        if let t = threads, !(1...1024).contains(t) { throw bad("threads", "must be in 1…1024, got \(t)") }
        guard (0..<epochs).contains(freezeEpochs) else { throw bad("freezeEpochs", "must be in 0…\(epochs - 1) (fewer than the epochs), got \(freezeEpochs)") }
        if freezeEpochs > 0 && pretrained == nil { throw bad("freezeEpochs", "needs pretrained weights: a frozen random network learns nothing") }
        guard data.validationFraction > 0 else {
            throw bad("validationFraction", "must be above 0: a run validates every epoch to pick its best checkpoint (got \(data.validationFraction))")
        }
        guard (1...4096).contains(data.cropHeight), (1...4096).contains(data.cropWidth) else {
            throw bad("crop", "must be in 1…4096 pixels, got \(data.cropHeight)×\(data.cropWidth)")
        }
        guard (1...4096).contains(data.batchSize) else { throw bad("batchSize", "must be in 1…4096, got \(data.batchSize)") }
        do { try data.validate() } catch let DataError.invalidConfig(parameter, reason) { throw bad(parameter, reason) }
        if let logs = tensorBoard?.directory, tensorBoard?.enabled == true {
            do { try RunFolder.checkFolderPath(logs) } catch RunError.folder(let path, let reason) { throw bad("tensorBoard", "folder \(path): \(reason)") }
        }
        try schedule.schedule(base: optimizer.learningRate, epochs: epochs, stepsPerEpoch: 1).validate()
        try MemoryEstimate(self, classes: data.classes?.count ?? 2).check(self)
    }
}

extension RunConfiguration {
    /// Refuses a run folder that is, contains or lies inside the data set: its files would become a class of the data
    /// (`tensorboard/`, images), and replacing the run would delete the data.
    /// - Throws: ``RunError/folder(path:reason:)`` naming both.
    public func checkRunFolder(_ url: URL) throws {
        func resolved(_ u: URL) -> String { u.standardizedFileURL.resolvingSymlinksInPath().path }
        let (folder, data) = (resolved(url), resolved(dataDirectory))
        func within(_ a: String, _ b: String) -> Bool { a == b || a.hasPrefix(b == "/" ? b : b + "/") }
        guard !within(folder, data) && !within(data, folder) else {
            throw RunError.folder(path: url.path, reason: "is, contains or lies inside the data set \(dataDirectory.path); put the run somewhere else")
        }
    }
}

extension SchedulePolicy: CustomStringConvertible {
    /// How the report names the schedule.
    public var description: String {
        switch self {
        case .constant: "constant"
        case .stepDecay(let factor, let every): "×\(factor) every \(every == 1 ? "epoch" : "\(every) epochs")"
        case .cosine: "cosine with warm-up"
        case .oneCycle: "one-cycle"
        }
    }
}
