// Initial weights come from one seeded source shared by every layer of a model, so a seed fixes the
// whole model. `.skip` leaves weights at zero: for loading a checkpoint straight over them, which saves
// drawing tens of millions of random numbers for a ResNet-152 (PyTorch's `skip_init` serves the same end).

/// Draws the initial weights of layers.
public final class WeightInitializer {
    private var generator: SeededGenerator
    /// Whether weights are drawn at random (false: zeros, to be overwritten by a checkpoint).
    public let isRandom: Bool

    /// Random initial weights from a generator seeded with `seed`.
    public init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
        isRandom = true
    }

    private init(skip: ()) {
        generator = SeededGenerator(seed: 0)
        isRandom = false
    }

    /// Zeros everywhere; use only when a checkpoint will be loaded over the model.
    public static var skip: WeightInitializer { WeightInitializer(skip: ()) }

    /// He-normal: N(0, 2 / fan).
    public func heNormal(_ shape: [Int], fan: Int) throws -> Tensor {
        isRandom ? try Tensor.heNormal(shape, fan: fan, generator: &generator) : try Tensor.zeros(shape)
    }

    /// Keras' `he_normal`: N(0, 2 / fanIn) truncated at two standard deviations, its deviation raised by 1/0.8796… so
    /// the truncated draws keep the variance 2 / fanIn.
    public func kerasHeNormal(_ shape: [Int], fanIn: Int) throws -> Tensor {
        guard isRandom else { return try Tensor.zeros(shape) }
        let deviation = (2 / Float(max(fanIn, 1))).squareRoot() / 0.87962566103423978
        let values = (0..<shape.reduce(1, *)).map { _ in
            var z = generator.nextNormal()
            while abs(z) > 2 { z = generator.nextNormal() }
            return deviation * z
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// PyTorch's `trunc_normal_(std: deviation)`: N(0, deviation²) redrawn outside [−2, 2] (absolute bounds, which a
    /// deviation of 0.02, ConvNeXt's, never reaches in practice).
    public func truncatedNormal(_ shape: [Int], deviation: Float) throws -> Tensor {
        guard isRandom else { return try Tensor.zeros(shape) }
        let values = (0..<shape.reduce(1, *)).map { _ in
            var v = deviation * generator.nextNormal()
            while abs(v) > 2 { v = deviation * generator.nextNormal() }
            return v
        }
        return try Tensor(shape: shape, scalars: values)
    }

    /// Uniform in [−bound, bound).
    public func uniform(_ shape: [Int], bound: Float) throws -> Tensor {
        isRandom ? try Tensor.randomUniform(shape, low: -bound, high: bound, generator: &generator) : try Tensor.zeros(shape)
    }
}
