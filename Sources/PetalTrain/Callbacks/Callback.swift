// Training events go to callbacks, as in Keras: train, epoch and batch begin/end, with a `logs`
// dictionary using Keras' names (`loss`, `accuracy`, `val_loss`, `val_accuracy`, `val_auc`, `lr`).
// Any callback can stop training through the shared `TrainingState`.

/// Metric values by Keras name.
public typealias Logs = [String: Double]

/// What callbacks see and may change while `Trainer.fit` runs.
public final class TrainingState {
    /// The model being trained.
    public let model: Module
    /// Its optimizer (callbacks may change its learning rate).
    public let optimizer: Optimizer
    /// Epochs of the whole training (including resumed ones).
    public let epochs: Int
    /// Training batches per epoch.
    public let batchesPerEpoch: Int
    /// The epoch running now (0-based).
    public internal(set) var epoch = 0
    /// The global step: batches trained since the start of training (including resumed epochs).
    public internal(set) var step = 0
    /// The latest validation pass (probabilities and labels), for metrics such as the ROC curve.
    public internal(set) var validation: Evaluation?
    /// Set by `stop(_:)`; the trainer finishes the current epoch's callbacks and returns.
    public private(set) var stopReason: String?
    /// Every key the epoch logs of this training will hold (a validation key may be missing from an epoch whose
    /// validation lacks a class). Callbacks that monitor a key check it here when training begins.
    public internal(set) var logKeys: Set<String> = []
    /// True when the current epoch's training pass was cut short by a stop request (Ctrl-C, a NaN loss):
    /// its logs then cover part of the epoch and there was no validation pass.
    public internal(set) var epochInterrupted = false

    /// Epochs whose training pass ran to the end (what a resumed run may skip).
    public var completedEpochs: Int { epochInterrupted ? epoch : epoch + 1 }

    init(model: Module, optimizer: Optimizer, epochs: Int, batchesPerEpoch: Int) {
        (self.model, self.optimizer, self.epochs, self.batchesPerEpoch) = (model, optimizer, epochs, batchesPerEpoch)
    }

    /// Whether the stop ends the training for good (early stopping), rather than interrupting it (a signal, a
    /// non-finite loss): a resume continues an interrupted training only.
    public private(set) var stopIsFinal = false

    /// Asks the trainer to stop after the current batch, giving the reason printed to the user.
    /// - Parameter final: the training is over (early stopping), not interrupted; ``ResumeCheckpoint`` records it.
    public func stop(_ reason: String, final: Bool = false) {
        if stopReason == nil { (stopReason, stopIsFinal) = (reason, final) }
    }

    /// Throws when `key` is not among ``logKeys``: a monitor with a typo (`val_acc`) fails when training begins,
    /// instead of being silently ignored.
    public func requireLogKey(_ key: String, for callback: String) throws {
        guard logKeys.contains(key) else {
            throw TrainingError.invalidSetting("\(callback) monitors '\(key)', which this training does not log (it logs \(logKeys.sorted().joined(separator: ", ")))")
        }
    }
}

/// Receives training events. Every method has an empty default.
public protocol Callback: AnyObject {
    func trainBegin(_ state: TrainingState) throws
    func trainEnd(_ state: TrainingState) throws
    func epochBegin(_ state: TrainingState) throws
    /// Called after training and validation of an epoch; callbacks may add entries to `logs`.
    func epochEnd(_ state: TrainingState, logs: inout Logs) throws
    func batchBegin(_ state: TrainingState, batch: Int) throws
    func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws
    /// Called after the batch's gradients are computed and before the optimizer uses them (PyTorch Lightning's
    /// `on_before_optimizer_step`): a callback may clear or change gradients here.
    func beforeOptimizerStep(_ state: TrainingState, batch: Int) throws
    /// Keys this callback adds to the epoch logs (so that other callbacks may monitor them).
    var addedLogKeys: [String] { get }
}

extension Callback {
    /// Does nothing unless a callback overrides it.
    public func trainBegin(_ state: TrainingState) throws {}
    /// Does nothing unless a callback overrides it.
    public func trainEnd(_ state: TrainingState) throws {}
    /// Does nothing unless a callback overrides it.
    public func epochBegin(_ state: TrainingState) throws {}
    /// Does nothing unless a callback overrides it.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {}
    /// Does nothing unless a callback overrides it.
    public func batchBegin(_ state: TrainingState, batch: Int) throws {}
    /// Does nothing unless a callback overrides it.
    public func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws {}
    /// Does nothing unless a callback overrides it.
    public func beforeOptimizerStep(_ state: TrainingState, batch: Int) throws {}
    /// None, unless a callback overrides it.
    public var addedLogKeys: [String] { [] }
}

/// Whether a larger or a smaller monitored value is better.
public enum MonitorMode: String, Sendable, Codable {
    case min, max
    /// Keras' `auto`: max for accuracy and AUC, min for losses.
    public static func automatic(for key: String) -> MonitorMode {
        key.contains("acc") || key.contains("auc") || key.hasPrefix("f1") ? .max : .min
    }

    /// Whether `value` beats `best` by more than `minDelta` in this direction (a non-finite value never does; any
    /// finite value beats no best at all).
    public func improves(_ value: Double, over best: Double?, minDelta: Double = 0) -> Bool {
        guard value.isFinite else { return false }
        guard let best else { return true }
        return self == .max ? value > best + minDelta : value < best - minDelta
    }
}
