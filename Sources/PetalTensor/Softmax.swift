// Softmax, log-softmax and the fused softmax-cross-entropy over the last axis, computed with the max
// subtracted so large logits neither overflow nor lose precision.
import Foundation

extension Tensor {
    /// Rows of the last axis: (number of rows, row length).
    private var rows: (Int, Int) { (count / max(shape.last ?? 1, 1), shape.last ?? 1) }

    /// log(softmax(x)) over the last axis.
    public func logSoftmax() throws -> Tensor {
        guard rank >= 1 else { throw TensorError.shapeMismatch(op: "logSoftmax", message: "needs rank >= 1, got a scalar") }
        let (r, c) = rows
        let src = storage.plain
        let out = Tensor.make(shape) { o in
            for i in 0..<r {
                let x = src + i * c, y = o.baseAddress! + i * c
                var m = -Float.infinity
                for j in 0..<c { m = Swift.max(m, x[j]) }
                var s: Float = 0
                for j in 0..<c { s += Foundation.exp(x[j] - m) }
                let lse = m + Foundation.log(s)
                for j in 0..<c { y[j] = x[j] - lse }
            }
        }
        let value = out.detached()
        return out.recorded("logSoftmax", [self]) { g, _ in
            // dx = g − softmax · Σ g
            let pg = g.storage.plain, pv = value.storage.plain
            return [Tensor.make(value.shape) { o in
                for i in 0..<r {
                    var s: Float = 0
                    for j in 0..<c { s += pg[i * c + j] }
                    for j in 0..<c { o[i * c + j] = pg[i * c + j] - Foundation.exp(pv[i * c + j]) * s }
                }
            }]
        }
    }

    /// softmax(x) over the last axis.
    public func softmax() throws -> Tensor { try traced([.softmax], [self]) { try softmaxForward() } }

    private func softmaxForward() throws -> Tensor {
        guard rank >= 1 else { throw TensorError.shapeMismatch(op: "softmax", message: "needs rank >= 1, got a scalar") }
        let (r, c) = rows
        let out = try logSoftmax().detached().mapped { Foundation.exp($0) }
        let value = out.detached()
        return out.recorded("softmax", [self]) { g, _ in
            // dx = y ⊙ (g − Σ g ⊙ y)
            let pg = g.storage.plain, py = value.storage.plain
            return [Tensor.make(value.shape) { o in
                for i in 0..<r {
                    var s: Float = 0
                    for j in 0..<c { s += pg[i * c + j] * py[i * c + j] }
                    for j in 0..<c { o[i * c + j] = py[i * c + j] * (pg[i * c + j] - s) }
                }
            }]
        }
    }

    /// Mean cross-entropy between logits [N, C] and integer class labels, fused with the softmax.
    public func softmaxCrossEntropy(labels: [Int]) throws -> Tensor {
        guard rank == 2, labels.count == shape[0] else {
            throw TensorError.shapeMismatch(op: "softmaxCrossEntropy", message: "logits \(describe(shape)) need [N, C] with N = \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= shape[1] }) {
            throw TensorError.invalidArgument(op: "softmaxCrossEntropy", message: "label \(bad) is outside 0..<\(shape[1])")
        }
        let targets = Tensor.make(shape) { o in
            o.initialize(repeating: 0)
            for (i, l) in labels.enumerated() { o[i * shape[1] + l] = 1 }
        }
        return try softmaxCrossEntropy(targets: targets)
    }

    /// Mean cross-entropy between logits [N, C] and target distributions [N, C] (one-hot or smoothed).
    public func softmaxCrossEntropy(targets: Tensor) throws -> Tensor {
        guard rank == 2, targets.shape == shape else {
            throw TensorError.shapeMismatch(op: "softmaxCrossEntropy", message: "logits \(describe(shape)) and targets \(describe(targets.shape)) must both be [N, C]")
        }
        let (n, c) = (shape[0], shape[1])
        let logp = try detached().logSoftmax()
        let pl = logp.storage.plain, pt = targets.storage.plain
        var total: Double = 0
        for i in 0..<(n * c) where pt[i] != 0 { total -= Double(pt[i] * pl[i]) }
        let loss = Tensor(Float(total / Double(max(n, 1))))
        let t = targets.detached()
        return loss.recorded("softmaxCrossEntropy", [self, targets]) { g, needs in
            // d/dlogits = (softmax · Σ_j t_j − t) / N; the targets get −log p / N.
            let scale = g.storage.plain[0] / Float(max(n, 1))
            let pt = t.storage.plain
            let dx = Tensor.make([n, c]) { o in
                for i in 0..<n {
                    var mass: Float = 0
                    for j in 0..<c { mass += pt[i * c + j] }
                    for j in 0..<c { o[i * c + j] = scale * (Foundation.exp(pl[i * c + j]) * mass - pt[i * c + j]) }
                }
            }
            let dt = needs[1] ? logp.mapped { -$0 * scale } : nil
            return [dx, dt]
        }
    }
}

extension Tensor {
    /// Mean binary cross-entropy between logits and targets in [0, 1] of the same shape, computed stably as
    /// max(x, 0) − x·t + log(1 + e^(−|x|)) (no overflow for large |x|).
    public func sigmoidCrossEntropy(targets: Tensor) throws -> Tensor {
        guard targets.shape == shape, count > 0 else {
            throw TensorError.shapeMismatch(op: "sigmoidCrossEntropy", message: "logits \(describe(shape)) and targets \(describe(targets.shape)) must have one shape")
        }
        let px = storage.plain, pt = targets.storage.plain
        var total: Double = 0
        for i in 0..<count {
            let x = Double(px[i]), t = Double(pt[i])
            total += Swift.max(x, 0) - x * t + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
        }
        let n = count
        let (x, t) = (detached(), targets.detached())
        return Tensor(Float(total / Double(n))).recorded("sigmoidCrossEntropy", [self, targets]) { g, needs in
            let scale = g.storage.plain[0] / Float(n)
            let px = x.storage.plain, pt = t.storage.plain
            // d/dx = σ(x) − t; d/dt = −x
            let dx = Tensor.make(x.shape) { o in for i in o.indices { o[i] = scale * (1 / (1 + Foundation.exp(-px[i])) - pt[i]) } }
            let dt = needs[1] ? Tensor.make(x.shape) { o in for i in o.indices { o[i] = -scale * px[i] } } : nil
            return [dx, dt]
        }
    }
}
