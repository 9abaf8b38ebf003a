// Stochastic gradient descent with PyTorch's definition (torch.optim.SGD):
//   g ← ∇ + λ·p;  b ← μ·b + (1 − τ)·g (b = g on the first step);  d = g + μ·b (Nesterov) or b;  p ← p − η·d

/// SGD with momentum, dampening, Nesterov momentum, weight decay and gradient clipping.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool
    public let clipping: GradientClipping
    public let parameters: [Tensor]
    private var buffers: [[Float]?]

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

    public func step() throws {
        let scales = clipScales(parameters, clipping)
        // One fused pass per parameter over its buffers, without temporary arrays (this runs every batch).
        for (k, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            let first = buffers[k] == nil
            if momentum != 0 && first { buffers[k] = [Float](repeating: 0, count: p.count) }
            var buffer = buffers[k] ?? []
            buffers[k] = nil  // leave `buffer` the only reference, so writing it does not copy
            grad.withUnsafeBufferPointer { g in
                p.withUnsafeMutableBufferPointer { w in
                    buffer.withUnsafeMutableBufferPointer { b in
                        let (s, lr, mu, wd, damp) = (scales[k], learningRate, momentum, weightDecay, dampening)
                        let n = w.count
                        // The usual case gets a branch-free loop the compiler vectorises; the rest take the general one.
                        if case .value = clipping {} else if mu != 0 && !first && !nesterov {
                            for i in 0..<n {
                                b[i] = mu * b[i] + (1 - damp) * (g[i] * s + wd * w[i])
                                w[i] -= lr * b[i]
                            }
                            return
                        }
                        for i in 0..<n {
                            let gi = clip(g[i], s, clipping) + wd * w[i]
                            guard mu != 0 else { w[i] -= lr * gi; continue }
                            // The first step stores the gradient itself (no dampening), as PyTorch does.
                            b[i] = first ? gi : mu * b[i] + (1 - damp) * gi
                            w[i] -= lr * (nesterov ? gi + mu * b[i] : b[i])
                        }
                    }
                }
            }
            if momentum != 0 { buffers[k] = buffer }
        }
    }

    public func stateDict() throws -> [(name: String, tensor: Tensor)] {
        try buffers.enumerated().compactMap { k, b in
            try b.map { ("momentum.\(k)", try Tensor(shape: parameters[k].shape, scalars: $0)) }
        }
    }

    public func loadStateDict(_ state: [(name: String, tensor: Tensor)]) throws {
        buffers = Array(repeating: nil, count: parameters.count)
        for (name, t) in state {
            guard name.hasPrefix("momentum."), let k = Int(name.dropFirst(9)), k < parameters.count, t.shape == parameters[k].shape else {
                throw TrainingError.state("SGD state '\(name)' \(t.shape) does not fit the parameters")
            }
            buffers[k] = t.scalars
        }
    }
}
