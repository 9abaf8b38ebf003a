// Named starting points for a run's optimizer and schedule. The default was chosen by measurement
// (Benchmarks/recipes/run.sh, docs/RECIPES.md); the tutorial's recipe stays, so its run can be reproduced.
import PetalTrain

/// A named optimizer and learning-rate schedule for a run; any single setting can be changed afterwards.
///
/// `petal train` runs 10 epochs on the tutorial's augmented doubling (every batch followed by an augmented copy)
/// with either; the tutorial's final run is 3 epochs on 32 images per class (`docs/TUTORIAL.md` §10).
public enum Recipe: String, Codable, Sendable, CaseIterable {
    /// Petal's default: SGD at 0.05 with momentum 0.9 and weight decay 5·10⁻⁴, one epoch of warm-up, then cosine down
    /// to a hundredth of the rate, on photos resized to the crop's size (``resize(crop:)``). Over 3 seeds it beat the
    /// tutorial's mean validation AUC on 195 held-out photos of three other flowers by more than five times the seed
    /// spread, on every seed, in less wall-clock time, and on the mean on the bundled flowers and a Fashion-MNIST pair
    /// (`docs/RECIPES.md`).
    case standard
    /// The optimizer and schedule of the tutorial's final run: plain SGD at 0.1 without momentum or clipping, the rate
    /// halved every epoch (its `DecayLR`, applied one epoch earlier; see `docs/TUTORIAL.md`). The tutorial's network is
    /// `ModelSettings(variant: .keras)`, which `petal train --recipe tutorial` picks unless `--variant` is given.
    case tutorial

    /// The optimizer's settings: the standard recipe clips each gradient tensor to norm 1; the tutorial's final run
    /// does not clip (only its learning-rate sweep does, `clipnorm=1`: ``tutorialSweep``).
    public var optimizer: OptimizerSettings {
        switch self {
        case .standard: OptimizerSettings(kind: .sgd, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, clipNorm: 1)
        case .tutorial: OptimizerSettings(kind: .sgd, learningRate: 0.1, momentum: 0, weightDecay: 0, clipNorm: 0)
        }
    }

    /// The batch norms' momentum the recipe trains `architecture` with, where it differs from the network's own: the
    /// standard recipe runs MobileNetV3's at PyTorch's usual 0.1. torchvision's 0.01 suits ImageNet's thousands of steps
    /// per epoch; in a small data set's few hundred steps the running statistics stay near their start, and the
    /// evaluated network answered one class for every validation photo of the bundled flowers (`docs/RECIPES.md`). nil
    /// keeps the network's own.
    public func batchNormMomentum(for architecture: ModelSettings.Architecture) -> Float? {
        switch (self, architecture) {
        case (.standard, .mobileNetV3Small), (.standard, .mobileNetV3Large): 0.1
        default: nil
        }
    }

    /// The tutorial's learning-rate sweep: `SGD(lr, clipnorm=1.)` at a constant rate per run.
    public static let tutorialSweep = OptimizerSettings(kind: .sgd, learningRate: 0.1, momentum: 0, weightDecay: 0, clipNorm: 1)

    /// Keras' `optimizer='SGD'`, which the tutorial's ablation run and overfit check compile: SGD at 0.01 without
    /// momentum or clipping, at a constant rate.
    public static let kerasSGD = OptimizerSettings(kind: .sgd, learningRate: 0.01, momentum: 0, weightDecay: 0, clipNorm: 0)

    /// The short side every photo is resized to before a centre crop of `crop` pixels: the crop itself in the standard
    /// recipe (the crop then holds the photo's whole short side, as torchvision's `Resize(crop)` + `CenterCrop(crop)`),
    /// nil in the tutorial's, which crops the photo's own pixels (13 % of a 320×240 photo at 100 pixels). `petal train`
    /// applies it unless `--resize` or `--no-resize` is given; measured in `docs/RECIPES.md`.
    public func resize(crop: Int) -> Int? {
        switch self {
        case .standard: crop
        case .tutorial: nil
        }
    }

    /// The learning-rate schedule.
    public var schedule: SchedulePolicy {
        switch self {
        case .standard: .cosine
        case .tutorial: .stepDecay(factor: 0.5, every: 1)
        }
    }
}
