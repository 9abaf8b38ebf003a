// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) with PyTorch's definitions:
//   g ← ∇ (+ λ·p for Adam);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  (AMSGrad: v̂max ← max(v̂max, v))
//   p ← p − η·λ·p (AdamW only);  p ← p − η·(m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
import Foundation

/// Adam, or AdamW when `decoupledWeightDecay` is true.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public let decoupledWeightDecay: Bool, amsgrad: Bool
    public let clipping: GradientClipping
    public let parameters: [Tensor]
    private var steps = 0
    private var m: [[Float]?], v: [[Float]?], vMax: [[Float]?]

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

    public func step() throws {
        let scales = clipScales(parameters, clipping)
        steps += 1
        let c1 = 1 - Float(Foundation.pow(Double(beta1), Double(steps))), c2 = 1 - Float(Foundation.pow(Double(beta2), Double(steps)))
        let stepSize = learningRate / c1, root = c2.squareRoot()
        for (k, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            var mk = m[k] ?? [Float](repeating: 0, count: p.count), vk = v[k] ?? [Float](repeating: 0, count: p.count)
            var mx = amsgrad ? (vMax[k] ?? [Float](repeating: 0, count: p.count)) : []
            (m[k], v[k], vMax[k]) = (nil, nil, nil)  // leave the locals as the only references, so writing them does not copy
            grad.withUnsafeBufferPointer { g in
                p.withUnsafeMutableBufferPointer { w in
                    mk.withUnsafeMutableBufferPointer { m1 in
                        vk.withUnsafeMutableBufferPointer { m2 in
                            mx.withUnsafeMutableBufferPointer { top in
                                for i in 0..<w.count {
                                    var gi = clip(g[i], scales[k], clipping)
                                    if weightDecay != 0 {
                                        if decoupledWeightDecay { w[i] *= 1 - learningRate * weightDecay } else { gi += weightDecay * w[i] }
                                    }
                                    m1[i] = beta1 * m1[i] + (1 - beta1) * gi
                                    m2[i] = beta2 * m2[i] + (1 - beta2) * gi * gi
                                    var second = m2[i]
                                    if amsgrad { top[i] = Swift.max(top[i], m2[i]); second = top[i] }
                                    w[i] -= stepSize * m1[i] / (second.squareRoot() / root + epsilon)
                                }
                            }
                        }
                    }
                }
            }
            m[k] = mk
            v[k] = vk
            if amsgrad { vMax[k] = mx }
        }
    }

    public func stateDict() throws -> [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = [("step", Tensor(Float(steps)))]
        for (k, p) in parameters.enumerated() {
            if let a = m[k] { out.append(("exp_avg.\(k)", try Tensor(shape: p.shape, scalars: a))) }
            if let b = v[k] { out.append(("exp_avg_sq.\(k)", try Tensor(shape: p.shape, scalars: b))) }
            if let c = vMax[k] { out.append(("max_exp_avg_sq.\(k)", try Tensor(shape: p.shape, scalars: c))) }
        }
        return out
    }

    public func loadStateDict(_ state: [(name: String, tensor: Tensor)]) throws {
        m = Array(repeating: nil, count: parameters.count); v = m; vMax = m
        for (name, t) in state {
            if name == "step" { steps = Int(try t.item()); continue }
            let parts = name.split(separator: ".")
            guard parts.count == 2, let k = Int(parts[1]), k < parameters.count, t.shape == parameters[k].shape else {
                throw TrainingError.state("Adam state '\(name)' \(t.shape) does not fit the parameters")
            }
            switch parts[0] {
            case "exp_avg": m[k] = t.scalars
            case "exp_avg_sq": v[k] = t.scalars
            case "max_exp_avg_sq": vMax[k] = t.scalars
            default: throw TrainingError.state("unknown Adam state '\(name)'")
            }
        }
    }
}
