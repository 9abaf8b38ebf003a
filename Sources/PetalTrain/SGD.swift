// Stochastic gradient descent with PyTorch's definition (torch.optim.SGD):
//   g ← ∇ + λ·p;  b ← μ·b + (1 − τ)·g (b = g on the first step);  d = g + μ·b (Nesterov) or b;  p ← p − η·d

/// SGD with momentum, dampening, Nesterov momentum, weight decay and gradient clipping.
public final class SGD: Optimizer {
    /// The step size; schedules set it before each epoch or batch.
    public var learningRate: Float
    /// PyTorch's momentum, dampening, L2 weight decay and Nesterov switch.
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    /// Gradient clipping applied before each step.
    public let clipping: GradientClipping
    /// The tensors updated.
    public let parameters: [Tensor]
    /// A factor on the learning rate per parameter (nil: 1 for all).
    public var learningRateScales: [Float]?
    /// Momentum buffers, held in the layout of the gradients they accumulate.
    private var buffers: [Tensor?]

    /// - Parameters:
    ///   - parameters: the tensors to update (`model.parameters`).
    ///   - learningRate: the step size (the schedule's base when a scheduler runs).
    ///   - momentum: PyTorch's momentum (0: plain SGD).
    ///   - dampening: scales the gradient added to the momentum buffer.
    ///   - nesterov: Nesterov momentum.
    ///   - weightDecay: L2 penalty added to the gradient.
    ///   - clipping: gradient clipping before each step (Keras' clipnorm, PyTorch's clip_grad_norm_).
    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
                weightDecay: Float = 0, clipping: GradientClipping = .none) throws {
        guard learningRate >= 0 && learningRate.isFinite else { throw TrainingError.invalidSetting("SGD: learning rate must be ≥ 0, got \(learningRate)") }
        guard momentum >= 0 && momentum < 1 else { throw TrainingError.invalidSetting("SGD: momentum must be in [0, 1), got \(momentum)") }
        guard weightDecay >= 0 else { throw TrainingError.invalidSetting("SGD: weight decay must be ≥ 0, got \(weightDecay)") }
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw TrainingError.invalidSetting("SGD: Nesterov momentum needs momentum > 0 and no dampening")
        }
        try validateClipping(clipping)
        (self.parameters, self.learningRate, self.momentum, self.dampening, self.nesterov, self.weightDecay, self.clipping)
            = (parameters, learningRate, momentum, dampening, nesterov, weightDecay, clipping)
        buffers = Array(repeating: nil, count: parameters.count)
    }

    /// Updates every parameter from its gradient, as `torch.optim.SGD(…).step()`.
    public func step() throws {
        let scales = clipScales(parameters, clipping)
        // One fused pass per parameter, in the gradient's own layout (oneDNN's blocked weight layout for
        // convolutions), without temporary arrays: this runs every batch.
        for (k, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let first = momentum != 0 && buffers[k] == nil
            if first { buffers[k] = try Tensor.zeros(p.shape) }
            let targets = momentum != 0 ? [p, buffers[k]!] : [p]
            let lr = learningRate * (learningRateScales?[k] ?? 1)
            let (s, mu, wd, damp, nesterov, clipping) = (scales[k], momentum, weightDecay, dampening, self.nesterov, self.clipping)
            try Tensor.updateInPlace(targets, from: [grad]) { out, input in
                let w = out[0], g = input[0], n = w.count
                guard mu != 0 else {
                    for i in 0..<n { w[i] -= lr * (clip(g[i], s, clipping) + wd * w[i]) }
                    return
                }
                let b = out[1]
                // The usual case gets a branch-free loop the compiler vectorises; the rest take the general one.
                if case .value = clipping {} else if !first && !nesterov {
                    for i in 0..<n {
                        b[i] = mu * b[i] + (1 - damp) * (g[i] * s + wd * w[i])
                        w[i] -= lr * b[i]
                    }
                    return
                }
                for i in 0..<n {
                    let gi = clip(g[i], s, clipping) + wd * w[i]
                    // The first step stores the gradient itself (no dampening), as PyTorch does.
                    b[i] = first ? gi : mu * b[i] + (1 - damp) * gi
                    w[i] -= lr * (nesterov ? gi + mu * b[i] : b[i])
                }
            }
        }
    }

    /// The momentum buffers, for a resumable checkpoint.
    public func stateDict() throws -> [(name: String, tensor: Tensor)] {
        buffers.enumerated().compactMap { k, b in b.map { ("momentum.\(k)", $0.copy()) } }
    }

    /// Restores the state ``stateDict()`` returned.
    public func loadStateDict(_ state: [(name: String, tensor: Tensor)]) throws {
        buffers = Array(repeating: nil, count: parameters.count)
        for (name, t) in state {
            guard name.hasPrefix("momentum."), let k = Int(name.dropFirst(9)), k < parameters.count, t.shape == parameters[k].shape else {
                throw TrainingError.state("SGD state '\(name)' \(t.shape) does not fit the parameters")
            }
            buffers[k] = t.copy()
        }
    }
}
