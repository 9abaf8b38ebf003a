import Foundation

/// Saves the model (safetensors, atomically) at the end of an epoch: every epoch, or only when `monitor`
/// improves. The file name may hold `{epoch}` / `{epoch:02d}` and `{key}` / `{key:.4f}` placeholders for log values.
/// To resume a training exactly, add a ``ResumeCheckpoint`` (model, optimizer and progress in one unit).
public final class ModelCheckpoint: Callback {
    /// The file (its path may hold placeholders), the monitored key, its direction, and whether only improvements are
    /// saved.
    public let fileTemplate: URL, monitor: String, mode: MonitorMode, saveBestOnly: Bool
    /// Written into every checkpoint (architecture, classes, preprocessing); the epoch and logs are added.
    public var metadata: CheckpointMetadata?
    /// The best monitored value so far.
    public private(set) var best: Double?
    /// Files written, in order.
    public private(set) var saved: [(epoch: Int, file: URL)] = []

    /// - Parameters:
    ///   - file: where to save; its path may hold `{epoch:02d}` and `{key:.4f}` placeholders.
    ///   - monitor: the log key deciding "best" (`val_loss`).
    ///   - mode: larger or smaller is better (automatic from the key by default).
    ///   - saveBestOnly: save only when `monitor` improves (on by default; Keras' default is off).
    ///   - metadata: what to record about the model.
    ///   - best: the best value so far of a resumed training (``TrainingProgress/best``).
    public init(file: URL, monitor: String = "val_loss", mode: MonitorMode? = nil, saveBestOnly: Bool = true,
                metadata: CheckpointMetadata? = nil, resumingBest best: Double? = nil) {
        (self.fileTemplate, self.monitor, self.mode, self.saveBestOnly, self.metadata, self.best)
            = (file, monitor, mode ?? .automatic(for: monitor), saveBestOnly, metadata, best)
    }

    /// Checks that `monitor` is logged, when saving only the best.
    public func trainBegin(_ state: TrainingState) throws {
        if saveBestOnly { try state.requireLogKey(monitor, for: "ModelCheckpoint") }
    }

    /// Saves the model when the epoch qualifies.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        // A cut-short epoch has no validation figures: it can never be "best", but its weights are still worth
        // keeping as the latest state, labelled with the epochs actually completed (the cut one reruns on resume).
        if saveBestOnly && state.epochInterrupted { return }
        if saveBestOnly {
            guard let value = logs[monitor] else {
                throw TrainingError.invalidSetting("ModelCheckpoint monitors '\(monitor)', which is not in the logs (\(logs.keys.sorted().joined(separator: ", ")))")
            }
            guard mode.improves(value, over: best) else { return }
            best = value
        }
        let file = URL(fileURLWithPath: ModelCheckpoint.format(fileTemplate.path, epoch: state.completedEpochs, logs: logs))
        var meta = metadata ?? CheckpointMetadata()
        meta.epoch = state.completedEpochs
        meta.metrics = logs
        try state.model.save(to: file, metadata: meta)
        saved.append((state.completedEpochs, file))
    }

    /// Fills `{epoch}`, `{epoch:02d}`, `{key}` and `{key:.Nf}` placeholders.
    static func format(_ template: String, epoch: Int, logs: Logs) -> String {
        var out = "", i = template.startIndex
        while i < template.endIndex {
            guard template[i] == "{", let close = template[i...].firstIndex(of: "}") else { out.append(template[i]); i = template.index(after: i); continue }
            let spec = template[template.index(after: i)..<close].split(separator: ":", maxSplits: 1).map(String.init)
            let key = spec[0], fmt = spec.count > 1 ? spec[1] : nil
            if key == "epoch" {
                out += fmt.map { String(format: "%" + $0, epoch) } ?? String(epoch)
            } else if let v = logs[key] {
                out += fmt.map { String(format: "%" + $0, v) } ?? String(v)
            } else {
                out += "{\(key)}"
            }
            i = template.index(after: close)
        }
        return out
    }
}
