/// Sets the optimizer's learning rate from a schedule before every epoch (and every batch for per-step
/// schedules) — the tutorial's `DecayLR` — and keeps the rates it set, for plotting.
public final class LearningRateScheduler: Callback {
    /// The schedule followed.
    public let schedule: Schedule
    /// (global step, rate) for every change made.
    public private(set) var rates: [(step: Int, rate: Float)] = []

    /// - Parameter schedule: the rate for each epoch (and step); checked with ``Schedule/validate()``.
    public init(_ schedule: Schedule) throws {
        try schedule.validate()
        self.schedule = schedule
    }

    /// Sets the epoch's rate.
    public func epochBegin(_ state: TrainingState) throws { set(state) }

    /// Sets the step's rate, for per-step schedules.
    public func batchBegin(_ state: TrainingState, batch: Int) throws { if schedule.isPerStep { set(state) } }

    private func set(_ state: TrainingState) {
        let lr = schedule.learningRate(epoch: state.epoch, step: state.step)
        state.optimizer.learningRate = lr
        rates.append((state.step, lr))
    }
}

/// Multiplies the learning rate by `factor` when `monitor` has not improved for `patience` epochs in a row
/// (Keras' rule), then counts again from zero.
public final class ReduceLROnPlateau: Callback {
    /// The monitored key, its direction, the cut factor, the patience in epochs, the improvement that counts, and the
    /// lowest rate.
    public let monitor: String, mode: MonitorMode, factor: Float, patience: Int, minDelta: Double, minimumRate: Float
    private var best: Double?
    private var wait = 0

    /// - Parameters:
    ///   - monitor: the log key watched (`val_loss`).
    ///   - mode: larger or smaller is better (automatic from the key by default).
    ///   - factor: multiplies the rate after `patience` epochs without improvement, in (0, 1).
    ///   - patience: epochs without improvement before cutting (Keras' count).
    ///   - minDelta: the smallest change that counts as an improvement.
    ///   - minimumRate: the rate never goes below this.
    public init(monitor: String = "val_loss", mode: MonitorMode? = nil, factor: Float = 0.1, patience: Int = 10,
                minDelta: Double = 1e-4, minimumRate: Float = 0) throws {
        guard factor > 0 && factor < 1 else { throw TrainingError.invalidSetting("ReduceLROnPlateau: factor must be in (0, 1), got \(factor)") }
        guard patience >= 0 else { throw TrainingError.invalidSetting("ReduceLROnPlateau: patience must be ≥ 0") }
        (self.monitor, self.mode, self.factor, self.patience, self.minDelta, self.minimumRate)
            = (monitor, mode ?? .automatic(for: monitor), factor, patience, minDelta, minimumRate)
    }

    /// Checks that `monitor` is logged.
    public func trainBegin(_ state: TrainingState) throws { try state.requireLogKey(monitor, for: "ReduceLROnPlateau") }

    /// Cuts the rate when the patience ran out.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        guard let value = logs[monitor] else { return }
        if mode.improves(value, over: best, minDelta: minDelta) {
            best = value
            wait = 0
        } else {
            wait += 1
            if wait >= max(patience, 1) {
                state.optimizer.learningRate = max(state.optimizer.learningRate * factor, minimumRate)
                wait = 0
            }
        }
    }
}
