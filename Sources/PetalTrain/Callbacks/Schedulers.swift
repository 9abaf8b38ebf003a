/// Sets the optimizer's learning rate from a schedule before every epoch (and every batch for per-step
/// schedules) — the tutorial's `DecayLR` — and keeps the rates it set, for plotting.
public final class LearningRateScheduler: Callback {
    public let schedule: Schedule
    /// (global step, rate) for every change made.
    public private(set) var rates: [(step: Int, rate: Float)] = []

    public init(_ schedule: Schedule) throws {
        try schedule.validate()
        self.schedule = schedule
    }

    public func epochBegin(_ state: TrainingState) throws { set(state) }

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
    public let monitor: String, mode: MonitorMode, factor: Float, patience: Int, minDelta: Double, minimumRate: Float
    private var best: Double?
    private var wait = 0

    public init(monitor: String = "val_loss", mode: MonitorMode? = nil, factor: Float = 0.1, patience: Int = 10,
                minDelta: Double = 1e-4, minimumRate: Float = 0) throws {
        guard factor > 0 && factor < 1 else { throw TrainingError.invalidSetting("ReduceLROnPlateau: factor must be in (0, 1), got \(factor)") }
        guard patience >= 0 else { throw TrainingError.invalidSetting("ReduceLROnPlateau: patience must be ≥ 0") }
        (self.monitor, self.mode, self.factor, self.patience, self.minDelta, self.minimumRate)
            = (monitor, mode ?? .automatic(for: monitor), factor, patience, minDelta, minimumRate)
    }

    public func trainBegin(_ state: TrainingState) throws { try state.requireLogKey(monitor, for: "ReduceLROnPlateau") }

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
