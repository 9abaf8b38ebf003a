/// Stops training when `monitor` has not improved by `minDelta` for `patience` epochs in a row (Keras'
/// rule: the `patience`-th epoch without improvement is the last); optionally puts back the best weights.
public final class EarlyStopping: Callback {
    /// The monitored key, its direction, the patience in epochs, the improvement that counts, and whether the best
    /// weights are put back at the end.
    public let monitor: String, mode: MonitorMode, patience: Int, minDelta: Double, restoreBestWeights: Bool
    /// The best monitored value so far.
    public private(set) var best: Double?
    /// The epoch (0-based) of the best value.
    public private(set) var bestEpoch: Int?
    /// The epoch (0-based) after which training was stopped, if it was.
    public private(set) var stoppedEpoch: Int?
    private var wait = 0
    private var bestWeights: [Tensor]?

    /// - Parameters:
    ///   - monitor: the log key watched (`val_loss`).
    ///   - mode: larger or smaller is better (automatic from the key by default).
    ///   - patience: epochs without improvement before stopping (Keras' count: the `patience`-th acts).
    ///   - minDelta: the smallest change that counts as an improvement.
    ///   - restoreBestWeights: put back the weights of the best epoch when training ends.
    ///   - progress: the progress of a resumed training (its best value and epoch), so the count goes on where it was.
    public init(monitor: String = "val_loss", mode: MonitorMode? = nil, patience: Int = 0, minDelta: Double = 0, restoreBestWeights: Bool = false,
                resuming progress: TrainingProgress = TrainingProgress()) throws {
        guard patience >= 0, minDelta >= 0 else { throw TrainingError.invalidSetting("EarlyStopping: patience and minDelta must be ≥ 0") }
        (self.monitor, self.mode, self.patience, self.minDelta, self.restoreBestWeights) = (monitor, mode ?? .automatic(for: monitor), patience, minDelta, restoreBestWeights)
        (best, bestEpoch) = (progress.best, progress.bestEpoch)
        wait = progress.completedEpochs - 1 - (progress.bestEpoch ?? -1)
    }

    /// Checks that `monitor` is logged.
    public func trainBegin(_ state: TrainingState) throws { try state.requireLogKey(monitor, for: "EarlyStopping") }

    /// Counts epochs without improvement and stops training when the patience ran out.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        guard let value = logs[monitor] else { return }
        if mode.improves(value, over: best, minDelta: minDelta) {
            (best, bestEpoch, wait) = (value, state.epoch, 0)
            if restoreBestWeights { bestWeights = state.model.stateDict.map { $0.tensor.copy() } }
        } else {
            wait += 1
            if wait >= max(patience, 1) {
                stoppedEpoch = state.epoch
                state.stop("early stopping: \(monitor) did not improve for \(wait) epochs (best \(best.map { String(format: "%.4f", $0) } ?? "–") at epoch \((bestEpoch ?? 0) + 1))",
                           final: true)
            }
        }
    }

    /// Restores the best weights, when asked to.
    public func trainEnd(_ state: TrainingState) throws {
        guard restoreBestWeights, let saved = bestWeights else { return }
        for (t, s) in zip(state.model.stateDict.map(\.tensor), saved) { try t.assign(s) }
    }
}

/// Stops training as soon as a batch's loss is NaN or infinite, saying where.
public final class TerminateOnNaN: Callback {
    /// Stops at the first non-finite batch loss.
    public init() {}

    /// Stops training when the batch's loss is NaN or infinite.
    public func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws {
        if let loss = logs["batch_loss"], !loss.isFinite {
            state.stop(TrainingError.nonFiniteLoss(epoch: state.epoch, batch: batch, value: Float(loss)).description)
        }
    }
}

import Foundation
