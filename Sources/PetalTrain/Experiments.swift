// The tutorial's experiments as functions: a learning-rate sweep (a fresh model per rate), fastai's
// learning-rate range test, and the overfit-a-small-subset sanity check.
import Foundation

/// One rate's result in a learning-rate sweep.
public struct SweepResult {
    /// The rate trained with.
    public let learningRate: Float
    /// Every epoch's logs.
    public let history: History
}

/// Trains a fresh model per learning rate (same initial weights when `makeModel` is seeded) and returns
/// each loss history — the tutorial's tuning loop over 0.1, 0.01, 0.001.
public func sweepLearningRates(_ rates: [Float], epochs: Int, makeModel: () throws -> Module,
                               makeOptimizer: (Module, Float) throws -> Optimizer, train: BatchSource,
                               validation: BatchSource? = nil, loss: Loss = .crossEntropy,
                               callbacks: (Float) -> [Callback] = { _ in [] }) throws -> [SweepResult] {
    guard !rates.isEmpty else { throw TrainingError.invalidSetting("the sweep needs at least one learning rate") }
    return try rates.map { lr in
        let model = try makeModel()
        let history = try Trainer.fit(model, train: train, validation: validation, epochs: epochs,
                                      optimizer: try makeOptimizer(model, lr), loss: loss, callbacks: callbacks(lr))
        return SweepResult(learningRate: lr, history: history)
    }
}

/// The outcome of a learning-rate range test.
public struct LearningRateFinderResult {
    /// Rates tried, increasing exponentially, and the smoothed loss after each step.
    public let rates: [Float], losses: [Double]
    /// The rate where the smoothed loss falls fastest (steepest negative slope), fastai's "steep" suggestion.
    public let suggestion: Float?
    /// The rate with the lowest smoothed loss.
    public let minimum: Float?
}

/// fastai's `lr_find`: one pass with the rate rising exponentially from `start` to `end`, recording the
/// exponentially smoothed loss (bias-corrected, β = 0.98), stopping once it exceeds 4× its best. The model's
/// weights and buffers are restored afterwards.
public func findLearningRate(_ model: Module, optimizer: Optimizer, train: BatchSource, start: Float = 1e-7, end: Float = 10,
                             steps: Int = 100, loss: Loss = .crossEntropy, beta: Double = 0.98) throws -> LearningRateFinderResult {
    guard start > 0, end > start, steps >= 2 else { throw TrainingError.invalidSetting("findLearningRate needs 0 < start < end and at least 2 steps") }
    let saved = model.stateDict.map { $0.tensor.copy() }
    defer { for (t, s) in zip(model.stateDict.map(\.tensor), saved) { try? t.assign(s) } }
    model.train()
    var rates: [Float] = [], losses: [Double] = []
    var average = 0.0, best = Double.infinity
    var epoch = 0, step = 0
    outer: while step < steps {
        let batches = try train.batches(epoch: epoch)
        var any = false
        while let batch = batches.next(), step < steps {
            any = true
            let lr = start * Float(Foundation.pow(Double(end / start), Double(step) / Double(steps - 1)))
            optimizer.learningRate = lr
            optimizer.zeroGrad()
            let l = try loss(model(batch.images), labels: batch.labels)
            let value = Double(try l.item())
            guard value.isFinite else { break outer }
            try l.backward()
            try optimizer.step()
            average = beta * average + (1 - beta) * value
            let smoothed = average / (1 - Foundation.pow(beta, Double(step + 1)))
            rates.append(lr)
            losses.append(smoothed)
            best = min(best, smoothed)
            step += 1
            if smoothed > 4 * best { break outer }
        }
        guard any else { break }
        epoch += 1
    }
    optimizer.zeroGrad()
    var suggestion: Float?
    if losses.count >= 3 {
        var steepest = 0.0
        for i in 1..<(losses.count - 1) {
            let slope = (losses[i + 1] - losses[i - 1]) / Double(Foundation.log(rates[i + 1]) - Foundation.log(rates[i - 1]))
            if slope < steepest { steepest = slope; suggestion = rates[i] }
        }
    }
    let minimum = losses.indices.min { losses[$0] < losses[$1] }.map { rates[$0] }
    return LearningRateFinderResult(rates: rates, losses: losses, suggestion: suggestion, minimum: minimum)
}

/// What the overfit check found.
public struct OverfitReport {
    /// Every epoch's logs.
    public let history: History
    /// The first epoch's training loss.
    public let initialLoss: Double
    /// The best epoch (0-based): the highest training accuracy, the lowest loss among equals. A check that memorised
    /// its subset passes even when a later epoch wobbled.
    public let bestEpoch: Int
    /// The best epoch's training loss and accuracy.
    public let bestLoss: Double, bestAccuracy: Double
    /// The best epoch's loss is at most half the first's and its training accuracy reached `targetAccuracy`.
    public let passed: Bool

    /// Judges `history` (training `loss` and `accuracy` per epoch).
    public init(history: History, targetAccuracy: Double = 1) {
        self.history = history
        let losses = history.values("loss"), accuracies = history.values("accuracy")
        initialLoss = losses.first ?? .nan
        let epochs = min(losses.count, accuracies.count)
        bestEpoch = (0..<epochs).max { a, b in
            accuracies[a] != accuracies[b] ? accuracies[a] < accuracies[b] : losses[a] > losses[b]
        } ?? 0
        (bestLoss, bestAccuracy) = epochs > 0 ? (losses[bestEpoch], accuracies[bestEpoch]) : (.nan, 0)
        passed = bestLoss <= initialLoss / 2 && bestAccuracy >= targetAccuracy
    }

    /// One line: passed or failed, with the figures.
    public var summary: String {
        String(format: "overfit check %@: loss %.4f → %.4f, training accuracy %.1f%% (best epoch %d of %d)", passed ? "passed" : "FAILED",
               initialLoss, bestLoss, bestAccuracy * 100, bestEpoch + 1, history.epochs.count)
    }
}

/// The tutorial's sanity check: train on a small subset (e.g. 20 images per class) for `epochs` epochs and
/// report whether the loss falls and the training accuracy rises to `targetAccuracy` (judged at the best epoch). A
/// model and pipeline that cannot memorise 40 images has a bug.
/// - Parameter validation: scored every epoch too (the tutorial watches validation accuracy plateau while training
///   accuracy rises); it does not change the verdict.
public func overfitCheck(_ model: Module, optimizer: Optimizer, subset: BatchSource, validation: BatchSource? = nil, epochs: Int,
                         loss: Loss = .crossEntropy, targetAccuracy: Double = 1, callbacks: [Callback] = []) throws -> OverfitReport {
    let history = try Trainer.fit(model, train: subset, validation: validation, epochs: epochs, optimizer: optimizer, loss: loss,
                                  callbacks: callbacks)
    return OverfitReport(history: history, targetAccuracy: targetAccuracy)
}
