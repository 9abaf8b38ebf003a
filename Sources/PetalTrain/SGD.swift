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
        let grads = clippedGradients(parameters, clipping)
        for (k, p) in parameters.enumerated() {
            guard var g = grads[k] else { continue }
            p.withUnsafeMutableBufferPointer { w in
                if weightDecay != 0 { for i in g.indices { g[i] += weightDecay * w[i] } }
                if momentum != 0 {
                    if var b = buffers[k] {
                        for i in b.indices { b[i] = momentum * b[i] + (1 - dampening) * g[i] }
                        buffers[k] = b
                    } else {
                        buffers[k] = g
                    }
                    let b = buffers[k]!
                    if nesterov { for i in g.indices { g[i] += momentum * b[i] } } else { g = b }
                }
                for i in g.indices { w[i] -= learningRate * g[i] }
            }
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
