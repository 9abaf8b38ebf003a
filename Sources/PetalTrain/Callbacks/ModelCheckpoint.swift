import Foundation

/// Saves the model (safetensors, atomically) at the end of an epoch: every epoch, or only when `monitor`
/// improves. The file name may hold `{epoch}` / `{epoch:02d}` and `{key}` / `{key:.4f}` placeholders for log values.
/// With `includeOptimizer`, the optimizer state goes next to it (`<name>.optimizer.safetensors`) so the run
/// can be resumed exactly.
public final class ModelCheckpoint: Callback {
    /// The file (its path may hold placeholders), the monitored key, its direction, whether only improvements are
    /// saved, and whether the optimizer's state is saved beside the model.
    public let fileTemplate: URL, monitor: String, mode: MonitorMode, saveBestOnly: Bool, includeOptimizer: Bool
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
    ///   - includeOptimizer: also write the optimizer's state, for resuming.
    ///   - metadata: what to record about the model.
    public init(file: URL, monitor: String = "val_loss", mode: MonitorMode? = nil, saveBestOnly: Bool = true,
                includeOptimizer: Bool = false, metadata: CheckpointMetadata? = nil) {
        (self.fileTemplate, self.monitor, self.mode, self.saveBestOnly, self.includeOptimizer, self.metadata)
            = (file, monitor, mode ?? .automatic(for: monitor), saveBestOnly, includeOptimizer, metadata)
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
        if includeOptimizer { try Checkpointing.saveOptimizer(state.optimizer, epoch: state.completedEpochs, nextTo: file) }
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

/// Saving and restoring what a resumed run needs besides the weights.
public enum Checkpointing {
    static func optimizerFile(nextTo file: URL) -> URL {
        let path = file.path
        return URL(fileURLWithPath: (path.hasSuffix(".safetensors") ? String(path.dropLast(12)) : path) + ".optimizer.safetensors")
    }

    /// Writes the optimizer's state and the number of finished epochs next to a model checkpoint.
    public static func saveOptimizer(_ optimizer: Optimizer, epoch: Int, nextTo file: URL) throws {
        let state = SafeTensors(tensors: try optimizer.stateDict(), metadata: ["epoch": String(epoch), "learning_rate": String(optimizer.learningRate)])
        try AtomicFile.write(try state.encoded(), to: optimizerFile(nextTo: file))
    }

    /// Loads a model checkpoint and its optimizer state; returns the epoch to continue from (0-based).
    public static func resume(model: Module, optimizer: Optimizer, from checkpoint: URL) throws -> Int {
        try model.load(from: checkpoint)
        let url = optimizerFile(nextTo: checkpoint)
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError {
            throw TrainingError.state("cannot resume: \(url.path) (the optimizer state) \(e.reason); checkpoints saved with includeOptimizer write it")
        }
        let file = try SafeTensors(data: data, source: url.path)
        try optimizer.loadStateDict(file.tensors)
        if let lr = file.metadata["learning_rate"].flatMap(Float.init) { optimizer.learningRate = lr }
        guard let epoch = file.metadata["epoch"].flatMap(Int.init) else { throw TrainingError.state("\(url.path) does not say which epoch it ends") }
        return epoch
    }
}
