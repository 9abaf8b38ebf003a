// Optimizers update parameters in place from their accumulated gradients. Their per-parameter state
// (momentum, moments) can be saved next to a checkpoint and restored to resume training exactly.

/// How gradients are clipped before an update.
public enum GradientClipping: Sendable, Equatable, Codable {
    case none
    /// Each gradient tensor scaled down to L2 norm ≤ value on its own (Keras' `clipnorm`, the tutorial's `clipnorm=1`).
    case normPerTensor(Float)
    /// All gradients scaled together so their joint L2 norm ≤ value (PyTorch's `clip_grad_norm_`, Keras' `global_clipnorm`).
    case globalNorm(Float)
    /// Each element clamped to [−value, value] (`clip_grad_value_`, Keras' `clipvalue`).
    case value(Float)
}

/// Updates a model's parameters from their gradients.
public protocol Optimizer: AnyObject {
    /// The step size used by the next `step()`; schedules set it each epoch or step.
    var learningRate: Float { get set }
    /// The parameters updated, in a fixed order.
    var parameters: [Tensor] { get }
    /// A factor on the learning rate for each parameter (PyTorch's parameter groups, fastai's discriminative rates:
    /// smaller steps for early layers); nil for 1 everywhere.
    var learningRateScales: [Float]? { get set }
    /// Applies one update from the current gradients (parameters without a gradient are left alone).
    func step() throws
    /// The optimizer's state (step count, buffers) by name, for checkpoints.
    func stateDict() throws -> [(name: String, tensor: Tensor)]
    /// Restores a state saved by `stateDict()`.
    func loadStateDict(_ state: [(name: String, tensor: Tensor)]) throws
}

extension Optimizer {
    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGradient() } }
}

/// Errors from optimizers.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(String)
    case nonFiniteLoss(epoch: Int, batch: Int, value: Float)
    case state(String)

    /// One line naming the problem and what to change.
    public var description: String {
        switch self {
        case .invalidSetting(let m): m
        case .nonFiniteLoss(let e, let b, let v): "loss became \(v) at epoch \(e + 1), batch \(b + 1) (lower the learning rate or enable gradient clipping)"
        case .state(let m): m
        }
    }
}

import Foundation
extension TrainingError: LocalizedError { public var errorDescription: String? { description } }

/// Per-parameter factors that norm clipping multiplies each gradient by (1 where nothing is clipped); value
/// clipping is applied element by element in the update loops instead (see `clip(_:_:)`).
func clipScales(_ parameters: [Tensor], _ clipping: GradientClipping) -> [Float] {
    let ones = [Float](repeating: 1, count: parameters.count)
    func sumOfSquares(_ p: Tensor) -> Float {
        p.grad?.withUnsafeStoredValues(squaredNorm) ?? 0
    }
    switch clipping {
    case .none, .value:
        return ones
    case .normPerTensor(let maxNorm):
        // Keras' clipnorm: g · maxNorm / max(‖g‖, maxNorm), tensor by tensor.
        return parameters.map { p in let n = sumOfSquares(p).squareRoot(); return n > maxNorm ? maxNorm / n : 1 }
    case .globalNorm(let maxNorm):
        // PyTorch: coefficient = max_norm / (total + 1e-6), applied only when below 1.
        let total = parameters.reduce(Float(0)) { $0 + sumOfSquares($1) }.squareRoot()
        let coefficient = maxNorm / (total + 1e-6)
        return coefficient < 1 ? parameters.map { _ in coefficient } : ones
    }
}

/// A gradient element after scaling and value clipping.
@inline(__always)
func clip(_ g: Float, _ scale: Float, _ clipping: GradientClipping) -> Float {
    if case .value(let v) = clipping { return Swift.min(Swift.max(g * scale, -v), v) }
    return g * scale
}

func validateClipping(_ c: GradientClipping) throws {
    switch c {
    case .none: return
    case .normPerTensor(let v), .globalNorm(let v), .value(let v):
        guard v > 0 && v.isFinite else { throw TrainingError.invalidSetting("gradient clipping value must be positive, got \(v)") }
    }
}

/// Σ x² with eight independent partial sums, so the loop vectorises (a single running sum cannot be reordered).
func squaredNorm(_ x: UnsafeBufferPointer<Float>) -> Float {
    var partial = SIMD8<Float>()
    let n = x.count / 8 * 8
    var i = 0
    while i < n {
        let v = SIMD8<Float>(x[i], x[i + 1], x[i + 2], x[i + 3], x[i + 4], x[i + 5], x[i + 6], x[i + 7])
        partial += v * v
        i += 8
    }
    var total = partial.sum()
    while i < x.count { total += x[i] * x[i]; i += 1 }
    return total
}
