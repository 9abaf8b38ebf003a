// Options shared by several subcommands. Defaults reproduce the tutorial's final run.
import ArgumentParser
import Foundation
import Petal

/// Where the bundled demo data set lives: `Data/flowers-mini` under the working directory, or next to the
/// sources this binary was built from.
func bundledDemoFolder() -> String {
    let local = FileManager.default.currentDirectoryPath + "/Data/flowers-mini"
    if FileManager.default.fileExists(atPath: local) { return local }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/flowers-mini").path
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

    @Option(help: "Training images kept per class after the split (the tutorial's ablation).")
    var perClassLimit: Int?

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

    @Option(help: "Largest shift as a fraction of the size (augmentation).")
    var shift: Double = 0.1

    @Option(help: "Zoom range ±z (augmentation).")
    var zoom: Double = 0.2

    @Option(help: "Largest shear in degrees (augmentation).")
    var shear: Double = 10

    @Option(help: "Fill for pixels outside the image: constant, nearest, reflect or wrap.")
    var fill: FillMode = .reflect

    @Flag(help: "Stop when any file is unreadable instead of skipping it with a warning.")
    var strict = false

    var root: String { dataDir ?? bundledDemoFolder() }

    func config() -> DataConfig {
        let augmentation = augment ? AugmentationPolicy(rotationRange: rotation, widthShiftRange: shift, heightShiftRange: shift,
                                                        zoomRange: AugmentationPolicy.zoom(zoom), shearRange: shear,
                                                        horizontalFlip: true, fillMode: fill) : nil
        return DataConfig(classes: classes?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                          cropHeight: crop, cropWidth: crop, smallImages: smallImages, validationFraction: validationFraction,
                          splitOrder: splitOrder, seed: seed, perClassLimit: perClassLimit, batchSize: batchSize,
                          augmentation: augmentation, appendAugmentedCopy: augment && double, strict: strict)
    }
}

struct ModelOptions: ParsableArguments {
    @Option(help: "Network: resnet18, resnet34, resnet50, resnet101 or resnet152.")
    var model = "resnet18"

    @Option(help: "Block variant: preact (the tutorial's Keras builder) or v1 (torchvision).")
    var variant: ResNet.Variant = .preActivation

    @Option(help: "Channels of the first stage (64 in the paper; smaller is faster).")
    var width = 64

    @Option(help: "Convolution arithmetic: fp32, or bf16 (bfloat16 on AMX / AVX-512-BF16 with fp32 weights; about twice the inference speed).")
    var precision: Precision = .fp32

    @Option(help: "Convolution algorithm: auto (Winograd for fp32 3×3 stride-1 convolutions when the batch is over 8 in training or 3 in inference: about 1.3× faster ResNet training) or direct (the plain sum, as PyTorch and TensorFlow compute).")
    var convolution: ConvolutionAlgorithm = .auto

    func depth() throws -> ResNet.Depth {
        guard let depth = ResNet.Depth(name: model) else {
            throw ValidationFailure("unknown model '\(model)': use resnet18, resnet34, resnet50, resnet101 or resnet152")
        }
        guard width >= 1 else { throw ValidationFailure("--width must be positive, got \(width)") }
        return depth
    }

    func make(classes: Int, seed: UInt64) throws -> ResNet {
        let depth = try depth()
        let model = try ResNet(depth: depth, variant: variant, classes: classes, baseWidth: width, initializer: WeightInitializer(seed: seed))
        model.setConvolutionPrecision(precision)
        Device.default.convolutionAlgorithm = convolution  // a process-wide setting: planned convolutions follow it
        return model
    }
}

struct OptimizerOptions: ParsableArguments {
    @Option(help: "Optimizer: sgd, adam or adamw.")
    var optimizer = "sgd"

    @Option(name: .customLong("lr"), help: "Learning rate (the schedule's base).")
    var learningRate: Float = 0.1

    @Option(help: "SGD momentum.")
    var momentum: Float = 0

    @Flag(help: "Nesterov momentum (SGD).")
    var nesterov = false

    @Option(help: "Weight decay (L2 for SGD and Adam, decoupled for AdamW).")
    var weightDecay: Float = 0

    @Option(help: "Clip each gradient tensor to this L2 norm (Keras' clipnorm; 0 turns it off).")
    var clipNorm: Float = 1

    @Option(help: "Learning-rate schedule: step, cosine, onecycle or constant.")
    var schedule = "step"

    @Option(help: "Step decay: multiply the rate by this factor …")
    var decayFactor: Float = 0.5

    @Option(help: "… every this many epochs.")
    var decayEvery = 1

    func make(_ model: Module, learningRate lr: Float? = nil) throws -> Optimizer {
        let rate = lr ?? learningRate
        let clipping: GradientClipping = clipNorm > 0 ? .normPerTensor(clipNorm) : .none
        switch optimizer.lowercased() {
        case "sgd": return try SGD(parameters: model.parameters, learningRate: rate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay, clipping: clipping)
        case "adam": return try Adam(parameters: model.parameters, learningRate: rate, weightDecay: weightDecay, clipping: clipping)
        case "adamw": return try Adam(parameters: model.parameters, learningRate: rate, weightDecay: weightDecay, decoupledWeightDecay: true, clipping: clipping)
        default: throw ValidationFailure("unknown optimizer '\(optimizer)': use sgd, adam or adamw")
        }
    }

    /// Checks the names before any data is read, so a typo fails at once.
    func validateNames() throws {
        guard ["sgd", "adam", "adamw"].contains(optimizer.lowercased()) else { throw ValidationFailure("unknown optimizer '\(optimizer)': use sgd, adam or adamw") }
        guard ["step", "constant", "cosine", "onecycle"].contains(schedule.lowercased()) else {
            throw ValidationFailure("unknown schedule '\(schedule)': use step, cosine, onecycle or constant")
        }
        guard learningRate > 0 && learningRate.isFinite else { throw ValidationFailure("--lr must be positive, got \(learningRate)") }
    }

    func schedule(base: Float? = nil, epochs: Int, stepsPerEpoch: Int) throws -> Schedule {
        let b = base ?? learningRate
        switch schedule.lowercased() {
        case "step": return .stepDecay(base: b, factor: decayFactor, every: decayEvery)
        case "constant": return .constant(b)
        case "cosine": return .cosine(base: b, minimum: b / 100, warmupSteps: stepsPerEpoch, totalSteps: max(epochs * stepsPerEpoch, stepsPerEpoch + 1))
        case "onecycle": return .oneCycle(maximum: b, totalSteps: max(epochs * stepsPerEpoch, 2))
        default: throw ValidationFailure("unknown schedule '\(schedule)': use step, cosine, onecycle or constant")
        }
    }
}

extension SmallImagePolicy: ExpressibleByArgument {}
extension SplitOrder: ExpressibleByArgument {}
extension FillMode: ExpressibleByArgument {}
extension ResNet.Variant: ExpressibleByArgument {}
extension Precision: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
