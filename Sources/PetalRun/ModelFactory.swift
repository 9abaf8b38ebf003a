// What a run builds its network from. The default is the configuration's `ModelSettings` (a ResNet); a library user
// passes a factory of their own to train any `Module` with the same run folder, resume and report.
import PetalNN

/// Builds a run's network: once when a run starts or resumes (the saved state is then loaded over it) and again to
/// evaluate the best checkpoint.
public protocol ModelFactory {
    /// A fresh network with `classes` outputs and initial weights drawn from `seed` (the same seed gives the same weights).
    func makeModel(classes: Int, seed: UInt64) throws -> Module
    /// How the run folder's configuration and report name the network (e.g. "resnet18 (preact, width 64)").
    var modelDescription: String { get }
    /// The checkpoint metadata that describes `model`'s architecture (the run adds classes, input size and preparation).
    /// The default names the model's type; only ``ModelSettings``' ResNets can be rebuilt from metadata alone, so a
    /// checkpoint of another model is loaded back with its own factory.
    func checkpointMetadata(for model: Module) -> CheckpointMetadata
}

extension ModelFactory {
    public func checkpointMetadata(for model: Module) -> CheckpointMetadata {
        var metadata = CheckpointMetadata()
        metadata.architecture = model.layerDescription
        return metadata
    }
}

extension ModelSettings: ModelFactory {
    /// A fresh network with these settings and seeded initial weights; its compute settings are its own.
    public func makeModel(classes: Int, seed: UInt64) throws -> Module {
        let g = WeightInitializer(seed: seed)
        let model: Module = switch architecture {
        case .resnet: try ResNet(depth: depth, variant: variant, classes: classes, baseWidth: width, initializer: g)
        default: try ModelZoo.make(architecture.rawValue, classes: classes, widthMultiplier: widthMultiplier, initializer: g)
        }
        model.setConvolutionPrecision(precision)
        model.setConvolutionAlgorithm(convolution)
        if let batchNormMomentum {
            for case let norm as BatchNorm2D in model.namedModules.map(\.module) { norm.momentum = batchNormMomentum }
        }
        return model
    }

    public var modelDescription: String {
        let momentum = batchNormMomentum.map { ", batch-norm momentum \($0)" } ?? ""
        return switch architecture {
        case .resnet: "resnet\(depth.rawValue) (\(variant.rawValue), width \(width), \(precision.rawValue), \(convolution.rawValue) convolutions\(momentum))"
        default: "\(architecture.rawValue) (width \(widthMultiplier), \(precision.rawValue), \(convolution.rawValue) convolutions\(momentum))"
        }
    }

    public func checkpointMetadata(for model: Module) -> CheckpointMetadata {
        if let resnet = model as? ResNet { return CheckpointMetadata(resnet: resnet) }
        if let zoo = model as? any ZooClassifier { return CheckpointMetadata(model: zoo) }
        return CheckpointMetadata()
    }
}

/// What a run builds its optimizer from; the default is the configuration's ``OptimizerSettings``.
public protocol OptimizerFactory {
    /// An optimizer over `model`'s parameters starting at `learningRate` (the schedule moves it from there).
    func makeOptimizer(for model: Module, learningRate: Float?) throws -> Optimizer
}

extension OptimizerSettings: OptimizerFactory {}
