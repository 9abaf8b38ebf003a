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

    public var description: String {
        switch self {
        case .invalidSetting(let m): m
        case .nonFiniteLoss(let e, let b, let v): "loss became \(v) at epoch \(e + 1), batch \(b + 1): training stopped (lower the learning rate or enable gradient clipping)"
        case .state(let m): m
        }
    }
}

import Foundation
extension TrainingError: LocalizedError { public var errorDescription: String? { description } }

/// The gradients of `parameters` as plain Float arrays, clipped as asked (nil where a parameter has none).
func clippedGradients(_ parameters: [Tensor], _ clipping: GradientClipping) -> [[Float]?] {
    var grads = parameters.map { $0.grad?.scalars }
    func norm(_ g: [Float]) -> Float { g.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot() }
    switch clipping {
    case .none: break
    case .value(let v):
        grads = grads.map { $0?.map { Swift.min(Swift.max($0, -v), v) } }
    case .normPerTensor(let maxNorm):
        grads = grads.map { g in g.map { g in let n = norm(g); return n > maxNorm ? g.map { $0 * maxNorm / n } : g } }
    case .globalNorm(let maxNorm):
        let total = grads.compactMap { $0 }.reduce(Float(0)) { $0 + $1.reduce(0) { $0 + $1 * $1 } }.squareRoot()
        // PyTorch: coefficient = max_norm / (total + 1e-6), applied only when below 1.
        let coefficient = maxNorm / (total + 1e-6)
        if coefficient < 1 { grads = grads.map { $0?.map { $0 * coefficient } } }
    }
    return grads
}

func validateClipping(_ c: GradientClipping) throws {
    switch c {
    case .none: return
    case .normPerTensor(let v), .globalNorm(let v), .value(let v):
        guard v > 0 && v.isFinite else { throw TrainingError.invalidSetting("gradient clipping value must be positive, got \(v)") }
    }
}
