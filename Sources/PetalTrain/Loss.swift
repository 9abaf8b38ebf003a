// Loss functions from logits: categorical cross-entropy (integer or one-hot targets, class weights, label
// smoothing, with PyTorch's definitions) and binary cross-entropy.

/// A training objective over a batch's logits.
public enum Loss: Sendable, Equatable {
    /// Softmax cross-entropy with PyTorch's definitions. `classWeights` weight each sample by its true
    /// class (weighted mean Σ w_y·ℓ / Σ w_y); `labelSmoothing` ε mixes the one-hot target with the uniform
    /// distribution, (1 − ε)·onehot + ε / C, each class's share weighted by that class's weight.
    case categoricalCrossEntropy(classWeights: [Float]? = nil, labelSmoothing: Float = 0)
    /// Sigmoid cross-entropy against the one-hot targets, averaged over every element.
    case binaryCrossEntropy

    /// The tutorial's loss: plain categorical cross-entropy.
    public static let crossEntropy = Loss.categoricalCrossEntropy()

    /// The mean loss of `logits` [N, C] for `labels`.
    public func callAsFunction(_ logits: Tensor, labels: [Int]) throws -> Tensor {
        guard logits.rank == 2, logits.shape[0] == labels.count else {
            throw TensorError.shapeMismatch(op: "loss", message: "logits \(logits.shape) must be [N, C] with N = \(labels.count) labels")
        }
        let c = logits.shape[1]
        switch self {
        case .binaryCrossEntropy:
            return try logits.sigmoidCrossEntropy(targets: oneHot(labels, c, smoothing: 0))
        case .categoricalCrossEntropy(let weights, let smoothing):
            guard smoothing >= 0 && smoothing < 1 else {
                throw TensorError.invalidArgument(op: "loss", message: "label smoothing must be in [0, 1), got \(smoothing)")
            }
            if let weights, weights.count != c {
                throw TensorError.invalidArgument(op: "loss", message: "\(weights.count) class weights for \(c) classes")
            }
            guard let weights else {
                return smoothing == 0 ? try logits.softmaxCrossEntropy(labels: labels)
                                      : try logits.softmaxCrossEntropy(targets: oneHot(labels, c, smoothing: smoothing))
            }
            // PyTorch's definition: ℓᵢ = (1 − ε)·w_yᵢ·(−log p_yᵢ) + (ε / C)·Σ_c w_c·(−log p_c), averaged as Σ ℓᵢ / Σ w_yᵢ.
            var t = [Float](repeating: 0, count: labels.count * c)
            for (i, y) in labels.enumerated() {
                for k in 0..<c { t[i * c + k] = smoothing / Float(c) * weights[k] }
                t[i * c + y] += (1 - smoothing) * weights[y]
            }
            let targets = try Tensor(shape: [labels.count, c], scalars: t)
            let total = labels.reduce(Float(0)) { $0 + weights[$1] }
            return try -(targets * logits.logSoftmax()).sum() / total
        }
    }

    /// What the loss of a batch with `labels` is divided by (Σ of the class weights of the labels, else the count):
    /// the weight of a part of a batch when the parts' gradients are combined into the whole batch's.
    public func normaliser(labels: [Int]) -> Double {
        if case .categoricalCrossEntropy(let weights?, _) = self {
            return labels.reduce(0) { $0 + Double(weights.indices.contains($1) ? weights[$1] : 0) }
        }
        return Double(labels.count)
    }

    private func oneHot(_ labels: [Int], _ c: Int, smoothing: Float) throws -> Tensor {
        if let bad = labels.first(where: { $0 < 0 || $0 >= c }) {
            throw TensorError.invalidArgument(op: "loss", message: "label \(bad) is outside 0..<\(c)")
        }
        var t = [Float](repeating: smoothing / Float(c), count: labels.count * c)
        for (i, l) in labels.enumerated() { t[i * c + l] += 1 - smoothing }
        return try Tensor(shape: [labels.count, c], scalars: t)
    }
}
