// Layers without parameters: activations, pooling, reshaping, dropout.

/// max(x, 0).
public final class ReLU: Module {
    /// max(x, 0), elementwise.
    public override func forward(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// Sigmoid, hard-sigmoid, hard-swish, SiLU or GELU (PyTorch's `nn.Sigmoid`, `nn.Hardsigmoid`, `nn.Hardswish`,
/// `nn.SiLU`, `nn.GELU`).
public final class ActivationLayer: Module {
    /// The function applied elementwise.
    public let activation: Activation

    public init(_ activation: Activation) {
        self.activation = activation
        super.init()
    }

    /// `activation` applied elementwise.
    public override func forward(_ x: Tensor) throws -> Tensor { try x.activated(activation) }

    public override var layerDescription: String { activation.rawValue.prefix(1).uppercased() + activation.rawValue.dropFirst() }
}

/// Softmax over the last axis (probabilities; train on logits with the fused cross-entropy instead).
public final class Softmax: Module {
    /// Softmax over the last axis.
    public override func forward(_ x: Tensor) throws -> Tensor { try x.softmax() }
}

/// Max pooling; `stride` defaults to the kernel size.
public final class MaxPool2D: Module {
    /// Window, step, padding and whether partial windows at the end count (PyTorch's `ceil_mode`).
    public let kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool
    /// Keras' padding="same" in place of `padding` (the border never wins a window's maximum).
    public var samePadding = false
    /// - Parameters: as PyTorch's `MaxPool2d`; `stride` defaults to the kernel size.
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false) {
        (self.kernel, self.stride, self.padding, self.ceilMode) = (kernel, stride ?? kernel, padding, ceilMode)
    }
    /// The maximum of each window.
    public override func forward(_ x: Tensor) throws -> Tensor {
        let (input, padding) = samePadding ? try SamePadding.apply(x, kernel: kernel, stride: stride, value: -.infinity) : (x, padding)
        return try input.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }
    /// "MaxPool2D(kernel …, stride …)".
    public override var layerDescription: String {
        "MaxPool2D(kernel \(kernel), stride \(stride)\(samePadding ? ", padding same" : padding != 0 ? ", padding \(padding)" : ""))"
    }
}

/// Average pooling; `stride` defaults to the kernel size.
public final class AvgPool2D: Module {
    /// Window, step, padding, PyTorch's `ceil_mode`, and whether padding counts in the mean (`count_include_pad`).
    public let kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool, countIncludePad: Bool
    /// - Parameters: as PyTorch's `AvgPool2d`; `stride` defaults to the kernel size.
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        (self.kernel, self.stride, self.padding, self.ceilMode, self.countIncludePad) = (kernel, stride ?? kernel, padding, ceilMode, countIncludePad)
    }
    /// The mean of each window.
    public override func forward(_ x: Tensor) throws -> Tensor {
        try x.avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
    /// "AvgPool2D(kernel …, stride …)".
    public override var layerDescription: String { "AvgPool2D(kernel \(kernel), stride \(stride))" }
}

/// Mean over H and W: [N, C, H, W] → [N, C] (torchvision's `avgpool` followed by `flatten`).
public final class GlobalAvgPool: Module {
    /// [N, C, H, W] → [N, C].
    public override func forward(_ x: Tensor) throws -> Tensor { try x.globalAvgPool2d() }
}

/// Its input, unchanged: the place of a layer that moves no values in Petal's layout (torchvision's `Permute` in
/// ConvNeXt's blocks), so that the layers after it keep torchvision's indices.
public final class Identity: Module {
    /// `x`.
    public override func forward(_ x: Tensor) throws -> Tensor { x }
}

/// [N, …] → [N, product of the rest].
public final class Flatten: Module {
    /// [N, …] → [N, product of the rest].
    public override func forward(_ x: Tensor) throws -> Tensor { try x.flattened() }
}

/// Inverted dropout with its own seeded generator; the identity in inference mode.
public final class Dropout: Module, EpochSeeded {
    /// The probability of zeroing each value in training.
    public let probability: Float
    private let seed: UInt64
    private var generator: SeededGenerator

    /// - Parameters:
    ///   - probability: of zeroing each value, in [0, 1).
    ///   - seed: seeds this layer's own generator, so runs repeat.
    public init(probability: Float, seed: UInt64 = 0) throws {
        guard probability >= 0 && probability < 1 else { throw ModelError.invalidConfiguration("Dropout: probability must be in [0, 1), got \(probability)") }
        (self.probability, self.seed) = (probability, seed)
        generator = SeededGenerator(seed: seed)
    }

    func restartDraws(epoch: Int) { generator = SeededGenerator(seed: Self.seed(seed, epoch: epoch)) }

    /// Zeroes values with `probability` and scales the rest by 1 / (1 − p) in training; the identity in inference.
    public override func forward(_ x: Tensor) throws -> Tensor {
        try x.dropout(probability: probability, training: isTraining, generator: &generator)
    }
    /// "Dropout(p)".
    public override var layerDescription: String { "Dropout(\(probability))" }
}

/// Stochastic depth (torchvision's `StochasticDepth(p, "row")`) with its own seeded generator: in training, each
/// sample's residual branch is dropped with `probability` (the rest scaled by 1 / (1 − p)); the identity in inference.
public final class StochasticDepth: Module, EpochSeeded {
    /// The probability of dropping a sample's branch in training.
    public let probability: Float
    private let seed: UInt64
    private var generator: SeededGenerator

    /// - Parameters:
    ///   - probability: of dropping each sample's branch, in [0, 1).
    ///   - seed: seeds this layer's own generator, so runs repeat.
    public init(probability: Float, seed: UInt64 = 0) throws {
        guard probability >= 0 && probability < 1 else {
            throw ModelError.invalidConfiguration("StochasticDepth: probability must be in [0, 1), got \(probability)")
        }
        (self.probability, self.seed) = (probability, seed)
        generator = SeededGenerator(seed: seed)
    }

    func restartDraws(epoch: Int) { generator = SeededGenerator(seed: Self.seed(seed, epoch: epoch)) }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try x.dropPath(probability: probability, training: isTraining, generator: &generator)
    }
    /// "StochasticDepth(p)".
    public override var layerDescription: String { "StochasticDepth(\(probability))" }
}

/// A layer whose training-time draws restart at each epoch (see ``Module/restartRandomDraws(epoch:)``).
protocol EpochSeeded: AnyObject {
    func restartDraws(epoch: Int)
}

extension EpochSeeded {
    /// The generator's seed for `epoch`: the layer's seed mixed with the epoch (the golden-ratio step).
    static func seed(_ seed: UInt64, epoch: Int) -> UInt64 { seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15 }
}
