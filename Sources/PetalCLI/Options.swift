// Options shared by several subcommands, turned into PetalRun's typed settings. Data and model defaults reproduce the
// tutorial's final run; the optimizer and schedule come from --recipe. Ranges are checked by `RunConfiguration.validate()` before any work; errors name the option.
import ArgumentParser
import Foundation
import Petal

/// Where the bundled demo data set lives: `Data/flowers-mini` under the working directory, or next to the
/// sources this binary was built from.
func bundledDemoFolder() -> URL {
    let local = URL(fileURLWithPath: "Data/flowers-mini", isDirectory: true)
    if FileManager.default.fileExists(atPath: local.path) { return local }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/flowers-mini", isDirectory: true)
}

struct DataOptions: ParsableArguments {
    @Argument(help: "Folder with one sub-folder of images per class (default: the bundled flowers demo).")
    var dataDir: String?

    @Option(help: "Classes to use, comma-separated, in label order (default: every sub-folder, sorted).")
    var classes: String?

    @Option(help: "Centre-crop size in pixels, height and width.")
    var crop: Int = 100

    @Option(help: "Images smaller than the crop: skip, pad or resizeShortSide.")
    var smallImages: SmallImagePolicy = .skip

    @Option(help: "Resize every photo so its short side is this many pixels before the centre crop (torchvision's Resize then CenterCrop; at least --crop). Default: the crop's size with the standard recipe (a 100-pixel crop of a 320×240 photo then sees 75 % of it); none with --recipe tutorial, which crops the photo's own pixels (13 % of it).")
    var resize: Int?

    @Flag(help: "Crop the photo's own pixels without resizing it first (the tutorial's preparation), whatever the recipe.")
    var noResize = false

    @Option(help: "Training images kept per class after the split (the tutorial's ablation).")
    var perClassLimit: Int?

    @Option(help: "Validation images kept per class after the split (the tutorial's ablation of the validation side).")
    var validationPerClassLimit: Int?

    @Option(help: "Fraction of each class held out for validation.")
    var validationFraction: Double = 0.2

    @Option(help: "How the split is drawn: shuffled (seeded) or sequential (first 80% / last 20%, the tutorial).")
    var splitOrder: SplitOrder = .shuffled

    @Option(help: "Seed for the split, shuffling, augmentation and initial weights.")
    var seed: UInt64 = 42

    @Option(help: "Images per batch.")
    var batchSize: Int = 32

    @Flag(inversion: .prefixedNo, help: "Random augmentation of training images (rotation, shifts, zoom, shear, flips).")
    var augment = true

    @Flag(inversion: .prefixedNo, help: "Append an augmented copy of every training batch (the tutorial's doubling).")
    var double = true

    @Option(help: "Largest rotation in degrees (augmentation).")
    var rotation: Double = 30

    @Option(help: "Largest shift as a fraction of the size, both directions (augmentation).")
    var shift: Double = 0.1

    @Option(help: "Largest horizontal shift, a fraction of the width (Keras' width_shift_range; default: --shift).")
    var widthShift: Double?

    @Option(help: "Largest vertical shift, a fraction of the height (Keras' height_shift_range; default: --shift).")
    var heightShift: Double?

    @Option(help: "Zoom range ±z, 0 ≤ z < 1 (augmentation).")
    var zoom: Double = 0.2

    @Option(help: "Largest shear in degrees (augmentation).")
    var shear: Double = 10

    @Option(help: "Random-resized-crop augmentation (torchvision's RandomResizedCrop, fastai's min_scale): each training image shows a random window of this fraction up to all of its area, aspect ratio 3/4 to 4/3, stretched to the crop; replaces --zoom and --shift (0.35 is fastai's default).")
    var randomResizedCrop: Double?

    @Flag(inversion: .prefixedNo, help: "Mirror left ↔ right with probability ½ (augmentation).")
    var horizontalFlip = true

    @Flag(help: "Mirror top ↔ bottom with probability ½ (augmentation; Keras' vertical_flip).")
    var verticalFlip = false

    @Option(help: "Brightness factor range LO,HI, e.g. 0.8,1.2 (augmentation; Keras' brightness_range; default: none).", transform: factorRange)
    var brightness: ClosedRange<Double>?

    @Option(help: "Fill for pixels outside the image: constant, nearest, reflect or wrap.")
    var fill: FillMode = .reflect

    @Option(help: "Value of --fill constant, in [0, 1] (Keras' cval / 255).")
    var cval: Float = 0

    @Flag(help: "Stop when any file is unreadable instead of skipping it with a warning.")
    var strict = false

    @Flag(help: "Normalise with ImageNet's mean and std (for weights trained on ImageNet, such as torchvision's) instead of /255; predict and evaluate apply it again from the checkpoint.")
    var imagenetNormalisation = false

    var root: URL { dataDir.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? bundledDemoFolder() }

    /// The data settings; `recipe` gives the default resize (none when nil).
    func config(recipe: Recipe? = nil) throws -> DataConfig {
        if noResize && resize != nil { throw ValidationFailure("--resize and --no-resize cannot be given together") }
        guard zoom.isFinite, (0..<1).contains(zoom) else { throw RunError.invalidSetting("zoom", reason: "must be in [0, 1), got \(zoom)") }
        if let m = randomResizedCrop, !(m > 0 && m <= 1) {
            throw RunError.invalidSetting("augmentation.randomResizedCrop", reason: "must be an area fraction in (0, 1], got \(m)")
        }
        let augmentation = augment ? AugmentationPolicy(rotationRange: rotation, widthShiftRange: widthShift ?? shift,
                                                        heightShiftRange: heightShift ?? shift, zoomRange: AugmentationPolicy.zoom(zoom),
                                                        shearRange: shear, horizontalFlip: horizontalFlip, verticalFlip: verticalFlip,
                                                        brightnessRange: brightness, fillMode: fill, cval: cval,
                                                        randomResizedCrop: randomResizedCrop.map { $0...1 }) : nil
        return DataConfig(classes: classes?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                          cropHeight: crop, cropWidth: crop, smallImages: smallImages, resize: noResize ? nil : resize ?? recipe?.resize(crop: crop),
                          normalisation: imagenetNormalisation ? .meanStd(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]) : .divideBy255,
                          validationFraction: validationFraction,
                          splitOrder: splitOrder, seed: seed, perClassLimit: perClassLimit, validationPerClassLimit: validationPerClassLimit,
                          batchSize: batchSize, augmentation: augmentation, appendAugmentedCopy: augment && double, strict: strict)
    }
}

/// Parses a factor range `LO,HI` (`--brightness 0.8,1.2`).
func factorRange(_ text: String) throws -> ClosedRange<Double> {
    let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite, lo >= 0, lo <= hi else {
        throw ValidationFailure("'\(text)' is not a range LO,HI of factors with 0 ≤ LO ≤ HI (e.g. 0.8,1.2)")
    }
    return lo...hi
}

/// What `--model` names: a ResNet's depth, or another family.
enum ModelChoice: Equatable {
    case resnet(ResNet.Depth)
    case other(ModelSettings.Architecture)
}

struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Network: \(modelNames) (default: resnet18)."), transform: modelChoice)
    var model: ModelChoice = .resnet(.r18)

    @Option(help: "The width multiplier of MobileNetV3, EfficientNet and ConvNeXt (torchvision's width_mult; 1 is the published network, 0.25 to 8).")
    var widthMultiplier: Double = 1

    @Option(help: "Block variant: keras (the tutorial's network, keras-resnet: pre-activation blocks with Keras' \"same\" padding, batch norm and l2(1e-4) on convolution kernels; the default with --recipe tutorial), preact (pre-activation blocks, PyTorch's conventions; the default otherwise) or v1 (torchvision).")
    var variant: ResNet.Variant?

    @Option(help: "Channels of the first stage (64 in the paper; smaller is faster; at most 512).")
    var width = 64

    @Option(help: "Convolution arithmetic: fp32, or bf16 (bfloat16 on AMX / AVX-512-BF16 with fp32 weights; about twice the inference speed).")
    var precision: Precision = .fp32

    @Option(help: "Start from these weights (fine-tuning): a PyTorch .pth state dict such as torchvision's resnet18-….pth, a safetensors file with torchvision's names, or a Petal checkpoint. The classifier is replaced when the number of classes differs; use --variant v1 for torchvision's weights.")
    var pretrained: String?

    @Option(help: "Convolution algorithm: auto (Winograd for fp32 3×3 stride-1 convolutions when the batch is over 8 in training or 3 in inference: about 1.3× faster ResNet training) or direct (the plain sum, as PyTorch and TensorFlow compute).")
    var convolution: ConvolutionAlgorithm = .auto

    @Option(help: "Momentum of every batch norm's running statistics, PyTorch's convention (default: the network's own, 0.1, or 0.01 for the Keras-convention ResNet and MobileNetV3; the standard recipe trains MobileNetV3 at 0.1).")
    var batchNormMomentum: Float?

    /// The model settings; without `--variant`, `recipe` picks the blocks (the tutorial's run trains its own network).
    func settings(recipe: Recipe = .standard) -> ModelSettings {
        var settings = ModelSettings(variant: variant ?? (recipe == .tutorial ? .keras : .preActivation), width: width, precision: precision,
                                     convolution: convolution)
        switch model {
        case .resnet(let depth): settings.depth = depth
        case .other(let architecture): (settings.architecture, settings.widthMultiplier) = (architecture, widthMultiplier)
        }
        settings.batchNormMomentum = batchNormMomentum ?? recipe.batchNormMomentum(for: settings.architecture)
        return settings
    }
}

/// Parses `--model`, naming the accepted values when the name is unknown.
func modelChoice(_ name: String) throws -> ModelChoice {
    if let depth = ResNet.Depth(name: name) { return .resnet(depth) }
    if let architecture = ModelSettings.Architecture(rawValue: name.lowercased()), architecture != .resnet { return .other(architecture) }
    throw ValidationFailure("unknown model '\(name)': use \(modelNames)")
}

/// Every `--model` name: the ResNets, then the ``ModelZoo``'s networks.
let modelNames = (ResNet.Depth.allCases.map { "resnet\($0.rawValue)" } + ModelZoo.entries.map(\.name)).joined(separator: ", ")

extension SchedulePolicy.Name: ExpressibleByArgument {}

struct OptimizerOptions: ParsableArguments {
    @Option(help: "Starting point for the optimizer and schedule: standard (SGD 0.05, momentum 0.9, weight decay 5e-4, clip norm 1, cosine; Petal's measured default) or tutorial (the notebook's final run: SGD 0.1 without momentum or clipping, ×0.5 every epoch, on keras-resnet's network unless --variant is given; sweep-lr adds its clipnorm=1, overfit uses its Keras 'SGD', 0.01 constant). The options below change single settings of it.")
    var recipe: Recipe = .standard

    @Option(help: "Optimizer: sgd, adam or adamw (default: the recipe's, sgd).")
    var optimizer: OptimizerKind?

    @Option(name: .customLong("lr"), help: "Learning rate, the schedule's base (default: the recipe's, 0.05 or 0.1).")
    var learningRate: Float?

    @Option(help: "SGD momentum, 0 ≤ m < 1 (default: the recipe's, 0.9 or 0).")
    var momentum: Float?

    @Flag(help: "Nesterov momentum (SGD).")
    var nesterov = false

    @Option(help: "Weight decay: L2 for SGD and Adam, decoupled for AdamW (default: the recipe's, 5e-4 or 0).")
    var weightDecay: Float?

    @Option(help: "Clip each gradient tensor to this L2 norm (Keras' clipnorm; 0 turns it off; default: the recipe's, 1 or 0).")
    var clipNorm: Float?

    @Option(help: "Discriminative learning rates (fastai's slice): the first layer learns at this fraction of --lr, the classifier at --lr, the layers between on a geometric scale (e.g. 0.01 when fine-tuning).")
    var discriminativeRates: Float?

    @Option(help: "Learning-rate schedule: step, cosine (one epoch of warm-up, then to lr/100), onecycle or constant (default: the recipe's, cosine or step).")
    var schedule: SchedulePolicy.Name?

    @Option(help: "Step decay: multiply the rate by this factor, 0 < f ≤ 1 (default 0.5) …")
    var decayFactor: Float?

    @Option(help: "… every this many epochs (default 1).")
    var decayEvery: Int?

    /// The optimizer and schedule the command starts from: the recipe's, or for `--recipe tutorial` the one the
    /// notebook used for this kind of run.
    func base(for run: TutorialRun) -> (OptimizerSettings, SchedulePolicy) {
        guard recipe == .tutorial else { return (recipe.optimizer, recipe.schedule) }
        switch run {
        case .final: return (recipe.optimizer, recipe.schedule)
        case .sweep: return (Recipe.tutorialSweep, .constant)
        case .check: return (Recipe.kerasSGD, .constant)
        }
    }

    /// The starting optimizer with the options given on the command line applied.
    func settings(for run: TutorialRun) -> OptimizerSettings {
        var s = base(for: run).0
        if let optimizer { s.kind = optimizer }
        if let learningRate { s.learningRate = learningRate }
        if let momentum { s.momentum = momentum } else if s.kind != .sgd { s.momentum = 0 }
        if let weightDecay { s.weightDecay = weightDecay }
        if let clipNorm { s.clipNorm = clipNorm }
        (s.nesterov, s.discriminativeFactor) = (nesterov, discriminativeRates)
        return s
    }

    /// The starting schedule, or the one `--schedule` names, with `--decay-factor` and `--decay-every` applied.
    func policy(for run: TutorialRun) throws -> SchedulePolicy {
        let chosen = schedule.map { SchedulePolicy($0) } ?? base(for: run).1
        guard case .stepDecay(let factor, let every) = chosen else {
            guard decayFactor == nil && decayEvery == nil else {
                throw ValidationFailure("--decay-factor and --decay-every apply to the step schedule (--schedule step, or --recipe tutorial)")
            }
            return chosen
        }
        return .stepDecay(factor: decayFactor ?? factor, every: decayEvery ?? every)
    }
}

/// Which of the notebook's runs a command reproduces under `--recipe tutorial`; each compiled its own optimizer.
enum TutorialRun {
    /// The final run (`petal train`): ``Recipe/tutorial``.
    case final
    /// The learning-rate sweep: `SGD(lr, clipnorm=1.)`, constant.
    case sweep
    /// The overfit check: Keras' `'SGD'`, 0.01 constant (as the notebook's ablation run, which `petal train` reaches
    /// with `--lr 0.01 --schedule constant`).
    case check
}

/// Every option group a run is made of, as a checked configuration.
func runConfiguration(data: DataOptions, model: ModelOptions, optimizer: OptimizerOptions, epochs: Int, run: TutorialRun = .final,
                      monitor: String = "val_auc", mode: MonitorMode? = nil, earlyStopping: Int? = nil) throws -> RunConfiguration {
    var c = RunConfiguration(dataDirectory: data.root, data: try data.config(recipe: optimizer.recipe), model: model.settings(recipe: optimizer.recipe), recipe: optimizer.recipe,
                             optimizer: optimizer.settings(for: run), schedule: try optimizer.policy(for: run), epochs: epochs,
                             monitor: monitor, mode: mode, earlyStoppingPatience: earlyStopping)
    if let path = model.pretrained {
        guard FileSystem.kind(of: path) == .regularFile else { throw ValidationFailure("--pretrained \(path): no such file") }
        c.pretrained = URL(fileURLWithPath: path)
    }
    try c.validate()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: c.dataDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ValidationFailure("\(c.dataDirectory.path): no such data folder")
    }
    return c
}

/// Sets oneDNN's thread count for this process's compute (`--threads`).
func applyThreads(_ threads: Int?) throws {
    guard let threads else { return }
    guard (1...1024).contains(threads) else { throw ValidationFailure("--threads must be in 1…1024, got \(threads)") }
    Device.default.threads = threads
}

extension SmallImagePolicy: ExpressibleByArgument {}
extension SplitOrder: ExpressibleByArgument {}
extension FillMode: ExpressibleByArgument {}
extension ResNet.Variant: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Recipe: ExpressibleByArgument {}
extension MonitorMode: ExpressibleByArgument {}
