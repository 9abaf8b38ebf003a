// Evaluating a model over a batch source: loss, accuracy, exact ROC AUC, confusion matrix, and the
// class probabilities themselves (for ROC curves and reports).
import Foundation

/// The result of running a model over a data set in inference mode.
public struct Evaluation {
    /// Mean loss over all samples.
    public let loss: Double
    /// Softmax probabilities, row-major [count, classCount].
    public let probabilities: [Float]
    /// The true class of each sample.
    public let labels: [Int]
    /// Number of classes.
    public let classCount: Int

    /// Samples evaluated.
    public var count: Int { labels.count }
    /// The most probable class of each sample.
    public var predictions: [Int] { argmaxRows(probabilities, columns: classCount) }
    /// Confusion matrix, precision, recall and F1 of the most probable class.
    public var report: ClassificationReport { ClassificationReport(labels: labels, predictions: predictions, classCount: classCount) }
    /// Share of samples whose most probable class is the true one.
    public var accuracy: Double { report.accuracy }
    /// Binary AUC (class 1 positive) or one-vs-rest macro AUC; nil when a class is missing.
    public var auc: Double? { ROC.auc(probabilities: probabilities, classCount: classCount, labels: labels) }

    /// Keras-named logs with `prefix` ("val_" for validation): loss, accuracy, auc.
    public func logs(prefix: String = "") -> Logs {
        var l: Logs = [prefix + "loss": loss, prefix + "accuracy": accuracy]
        if let auc { l[prefix + "auc"] = auc }
        return l
    }
}

/// Runs `model` in inference mode (fused, see `Module.fusedForInference()`) over every batch of `source` (epoch 0's
/// order) and collects the results. The model is not switched to eval mode or written to (see `Module.inferring`).
/// - Parameter flipAveraging: test-time augmentation (fastai's `tta`, limited to flips): each image's probabilities are
///   the mean of the image's and its mirror image's, and the loss is the cross-entropy of that mean.
public func evaluate(_ model: Module, on source: BatchSource, loss: Loss = .crossEntropy, flipAveraging: Bool = false) throws -> Evaluation {
    var probabilities: [Float] = [], labels: [Int] = []
    var totalLoss = 0.0
    let fused = model.fusedForInference()
    try withoutGradients {
        let batches = try source.batches(epoch: 0)
        while let batch = batches.next() {
            let logits = try fused(batch.images)
            if flipAveraging {
                let mirrored = try fused(mirroredHorizontally(batch.images)).softmax().scalars
                let mean = zip(try logits.softmax().scalars, mirrored).map { ($0 + $1) / 2 }
                let c = logits.shape[1]
                for (i, y) in batch.labels.enumerated() { totalLoss -= log(Double(max(mean[i * c + y], .leastNormalMagnitude))) }
                probabilities += mean
            } else {
                totalLoss += Double(try loss(logits, labels: batch.labels).item()) * Double(batch.count)
                probabilities += try logits.softmax().scalars
            }
            labels += batch.labels
        }
    }
    return Evaluation(loss: labels.isEmpty ? .nan : totalLoss / Double(labels.count), probabilities: probabilities,
                      labels: labels, classCount: source.classCount)
}

/// The images of an NCHW batch mirrored left to right.
func mirroredHorizontally(_ x: Tensor) throws -> Tensor {
    let w = x.shape[3], values = x.scalars
    var out = values
    for row in stride(from: 0, to: values.count, by: w) {
        for j in 0..<w { out[row + j] = values[row + w - 1 - j] }
    }
    return try Tensor(shape: x.shape, scalars: out)
}

/// Class probabilities [N, classes] for a batch of preprocessed images (NCHW), in inference mode.
public func predict(_ model: Module, images: Tensor) throws -> Tensor { try model.predictProbabilities(images) }

/// Index of the largest value in each row (the first one on ties, as numpy's argmax).
func argmaxRows(_ values: [Float], columns: Int) -> [Int] {
    stride(from: 0, to: values.count, by: columns).map { start in
        var best = 0
        for j in 1..<columns where values[start + j] > values[start + best] { best = j }
        return best
    }
}
