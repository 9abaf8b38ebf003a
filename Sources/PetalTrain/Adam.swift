// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with PyTorch's definitions:
//   g ← ∇ (+ λ·p for Adam);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  (AMSGrad: v̂max ← max(v̂max, v))
//   p ← p − η·λ·p (AdamW only);  p ← p − η·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
import Foundation

/// Adam, or AdamW when `decoupledWeightDecay` is true.
public final class Adam: Optimizer {
    /// The step size; schedules set it before each epoch or batch.
    public var learningRate: Float
    /// A factor on the learning rate per parameter (nil: 1 for all).
    public var learningRateScales: [Float]?
    /// PyTorch's β₁, β₂, ε and weight decay.
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    /// AdamW's decoupled decay (instead of L2 in the gradient), and AMSGrad's running maximum.
    public let decoupledWeightDecay: Bool, amsgrad: Bool
    /// Gradient clipping applied before each step.
    public let clipping: GradientClipping
    /// The tensors updated.
    public let parameters: [Tensor]
    private var steps = 0
    /// First and second moments (and AMSGrad's running maximum), in the layout of the gradients.
    private var m: [Tensor?], v: [Tensor?], vMax: [Tensor?]

    /// - Parameters:
    ///   - parameters: the tensors to update (`model.parameters`).
    ///   - learningRate: the step size (1e-3).
    ///   - beta1, beta2: decay rates of the first and second moment estimates.
    ///   - epsilon: added to the denominator.
    ///   - weightDecay: L2 penalty, or decoupled decay when `decoupledWeightDecay` (AdamW).
    ///   - amsgrad: use the maximum of past second moments.
    ///   - clipping: gradient clipping before each step (Keras' clipnorm, PyTorch's clip_grad_norm_).
    public init(parameters: [Tensor], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false, amsgrad: Bool = false, clipping: GradientClipping = .none) throws {
        guard learningRate >= 0 && learningRate.isFinite else { throw TrainingError.invalidSetting("Adam: learning rate must be ≥ 0, got \(learningRate)") }
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else { throw TrainingError.invalidSetting("Adam: betas must be in [0, 1), got \(beta1), \(beta2)") }
        guard epsilon > 0, weightDecay >= 0 else { throw TrainingError.invalidSetting("Adam: epsilon must be > 0 and weight decay ≥ 0") }
        try validateClipping(clipping)
        (self.parameters, self.learningRate, self.beta1, self.beta2, self.epsilon, self.weightDecay, self.decoupledWeightDecay, self.amsgrad, self.clipping)
            = (parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay, amsgrad, clipping)
        m = Array(repeating: nil, count: parameters.count)
        v = m
        vMax = m
    }

    /// AdamW: Adam with weight decay applied to the weights directly, not through the gradient.
    public static func adamW(parameters: [Tensor], learningRate: Float = 1e-3, weightDecay: Float = 0.01) throws -> Adam {
        try Adam(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// Updates every parameter from its gradient, as `torch.optim.Adam(W).step()`.
    public func step() throws {
        let scales = clipScales(parameters, clipping)
        steps += 1
        let c1 = 1 - Float(Foundation.pow(Double(beta1), Double(steps))), c2 = 1 - Float(Foundation.pow(Double(beta2), Double(steps)))
        let (root, b1, b2, eps, wd, decoupled, ams, clipping) =
            (c2.squareRoot(), beta1, beta2, epsilon, weightDecay, decoupledWeightDecay, amsgrad, self.clipping)
        for (k, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let lr = learningRate * (learningRateScales?[k] ?? 1), stepSize = lr / c1
            if m[k] == nil { (m[k], v[k]) = (try Tensor.zeros(p.shape), try Tensor.zeros(p.shape)) }
            if amsgrad && vMax[k] == nil { vMax[k] = try Tensor.zeros(p.shape) }
            let s = scales[k]
            try Tensor.updateInPlace([p, m[k]!, v[k]!] + (amsgrad ? [vMax[k]!] : []), from: [grad]) { out, input in
                let (w, m1, m2, g) = (out[0], out[1], out[2], input[0])
                for i in 0..<w.count {
                    var gi = clip(g[i], s, clipping)
                    if wd != 0 {
                        if decoupled { w[i] *= 1 - lr * wd } else { gi += wd * w[i] }
                    }
                    m1[i] = b1 * m1[i] + (1 - b1) * gi
                    m2[i] = b2 * m2[i] + (1 - b2) * gi * gi
                    var second = m2[i]
                    if ams { out[3][i] = Swift.max(out[3][i], m2[i]); second = out[3][i] }
                    w[i] -= stepSize * m1[i] / (second.squareRoot() / root + eps)
                }
            }
        }
    }

    /// The step count and moment estimates, for a resumable checkpoint.
    public func stateDict() throws -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = [("step", Tensor(Float(steps)))]
        for k in parameters.indices {
            if let a = m[k] { out.append(("exp_avg.\(k)", a.copy())) }
            if let b = v[k] { out.append(("exp_avg_sq.\(k)", b.copy())) }
            if let c = vMax[k] { out.append(("max_exp_avg_sq.\(k)", c.copy())) }
        }
        return out
    }

    /// Restores the state ``stateDict()`` returned.
    public func loadStateDict(_ state: [(name: String, tensor: Tensor)]) throws {
        m = Array(repeating: nil, count: parameters.count); v = m; vMax = m
        for (name, t) in state {
            if name == "step" { steps = Int(try t.item()); continue }
            let parts = name.split(separator: ".")
            guard parts.count == 2, let k = Int(parts[1]), k < parameters.count, t.shape == parameters[k].shape else {
                throw TrainingError.state("Adam state '\(name)' \(t.shape) does not fit the parameters")
            }
            switch parts[0] {
            case "exp_avg": m[k] = t.copy()
            case "exp_avg_sq": v[k] = t.copy()
            case "max_exp_avg_sq": vMax[k] = t.copy()
            default: throw TrainingError.state("unknown Adam state '\(name)'")
            }
        }
    }
}
