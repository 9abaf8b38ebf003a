import PetalRandom
// Inverted dropout (Srivastava et al. 2014): in training, zero each element with probability p and scale
// the rest by 1/(1 − p), so inference needs no rescaling.

extension Tensor {
    /// Dropout with drop probability `probability`; the identity when not `training`.
    public func dropout(probability: Float, training: Bool, generator: inout SeededGenerator) throws -> Tensor {
        guard probability >= 0 && probability < 1 else {
            throw TensorError.invalidArgument(op: "dropout", message: "probability must be in [0, 1), got \(probability)")
        }
        guard training && probability > 0 else { return self }
        let keep = 1 / (1 - probability)
        let mask = Tensor.make(shape) { m in for i in m.indices { m[i] = generator.nextUnitFloat() < probability ? 0 : keep } }
        return try self * mask
    }

    /// Stochastic depth ("drop path", torchvision's `StochasticDepth(p, "row")`): in training each sample (the first
    /// axis) is zeroed whole with `probability` and the others scaled by 1 / (1 − p), so a residual branch is skipped for
    /// some samples; the identity in inference.
    public func dropPath(probability: Float, training: Bool, generator: inout SeededGenerator) throws -> Tensor {
        guard probability >= 0 && probability < 1 else {
            throw TensorError.invalidArgument(op: "dropPath", message: "probability must be in [0, 1), got \(probability)")
        }
        guard training && probability > 0 else { return self }
        let keep = 1 / (1 - probability)
        let mask = Tensor.make([shape[0]] + Array(repeating: 1, count: rank - 1)) { m in
            for i in m.indices { m[i] = generator.nextUnitFloat() < probability ? 0 : keep }
        }
        return try self * mask
    }
}
