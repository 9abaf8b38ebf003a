// Layers without parameters: activations, pooling, reshaping, dropout.

/// max(x, 0).
public final class ReLU: Module {
    public override func forward(_ x: Tensor) throws -> Tensor { try x.relu() }
}

/// Softmax over the last axis (probabilities; train on logits with the fused cross-entropy instead).
public final class Softmax: Module {
    public override func forward(_ x: Tensor) throws -> Tensor { try x.softmax() }
}

/// Max pooling; `stride` defaults to the kernel size.
public final class MaxPool2D: Module {
    public let kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false) {
        (self.kernel, self.stride, self.padding, self.ceilMode) = (kernel, stride ?? kernel, padding, ceilMode)
    }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode) }
    public override var layerDescription: String { "MaxPool2D(kernel \(kernel), stride \(stride)\(padding != 0 ? ", padding \(padding)" : ""))" }
}

/// Average pooling; `stride` defaults to the kernel size.
public final class AvgPool2D: Module {
    public let kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool, countIncludePad: Bool
    public init(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        (self.kernel, self.stride, self.padding, self.ceilMode, self.countIncludePad) = (kernel, stride ?? kernel, padding, ceilMode, countIncludePad)
    }
    public override func forward(_ x: Tensor) throws -> Tensor {
        try x.avgPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)
    }
    public override var layerDescription: String { "AvgPool2D(kernel \(kernel), stride \(stride))" }
}

/// Mean over H and W: [N, C, H, W] → [N, C] (torchvision's `avgpool` followed by `flatten`).
public final class GlobalAvgPool: Module {
    public override func forward(_ x: Tensor) throws -> Tensor { try x.globalAvgPool2d() }
}

/// [N, …] → [N, product of the rest].
public final class Flatten: Module {
    public override func forward(_ x: Tensor) throws -> Tensor { try x.flattened() }
}

/// Inverted dropout with its own seeded generator; the identity in inference mode.
public final class Dropout: Module {
    public let probability: Float
    private var generator: SeededGenerator

    public init(probability: Float, seed: UInt64 = 0) throws {
        guard probability >= 0 && probability < 1 else { throw ModelError.invalidConfiguration("Dropout: probability must be in [0, 1), got \(probability)") }
        self.probability = probability
        generator = SeededGenerator(seed: seed)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try x.dropout(probability: probability, training: isTraining, generator: &generator)
    }
    public override var layerDescription: String { "Dropout(\(probability))" }
}
