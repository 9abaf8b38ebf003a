// Saves a run's progress at the end of every completed epoch, in an order that a kill at any moment cannot
// corrupt: the best model (when the monitored value improved), the last model, the training-state unit (the
// one file a resume reads) and finally `history.csv`, which is rebuilt from the unit whenever it lags.
import Foundation
import PetalNN
import PetalTrain

/// The callback that keeps a run folder up to date; it also applies early stopping, from the same record.
final class RunRecorder: Callback {
    let folder: RunFolder
    let configuration: RunConfiguration
    let metadata: CheckpointMetadata
    private(set) var progress: RunProgress

    init(folder: RunFolder, configuration: RunConfiguration, metadata: CheckpointMetadata, progress: RunProgress) {
        (self.folder, self.configuration, self.metadata, self.progress) = (folder, configuration, metadata, progress)
    }

    func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        // A cut-short epoch has seen part of its batches and no validation: nothing of it is kept, so that a resume
        // trains it again from the previous epoch's state.
        guard !state.epochInterrupted else { return }
        let monitor = configuration.monitor
        guard let value = logs[monitor] else {
            // Only AUC can be missing (a key check ran before training): a class had no validation image this epoch.
            let seen = Set(state.validation?.labels ?? []), classes = metadata.classNames
            let absent = classes.indices.filter { !seen.contains($0) }.map { classes[$0] }
            throw RunError.data("epoch \(state.epoch + 1): \(monitor) is undefined because no validation image of class \(absent.map { "'\($0)'" }.joined(separator: ", ")) could be read (were files removed during the run?)")
        }
        progress.history.append(logs)
        progress.completedEpochs = state.epoch + 1
        var meta = metadata
        meta.epoch = progress.completedEpochs
        meta.metrics = logs
        if configuration.monitorMode.improves(value, over: progress.best) {
            (progress.best, progress.bestEpoch) = (value, state.epoch)
            try state.model.save(to: folder.file(RunFiles.best), metadata: meta)
        }
        if let patience = configuration.earlyStoppingPatience, let bestEpoch = progress.bestEpoch, state.epoch - bestEpoch >= patience {
            let reason = "early stopping: \(monitor) did not improve for \(state.epoch - bestEpoch) epochs (best \(String(format: "%.4f", progress.best ?? .nan)) at epoch \(bestEpoch + 1))"
            progress.stopReason = reason
            state.stop(reason)
        }
        try state.model.save(to: folder.file(RunFiles.last), metadata: meta)
        try TrainingCheckpoint.save(model: state.model, optimizer: state.optimizer, progress: progress, to: folder.file(RunFiles.trainingState))
        try HistoryFile.write(progress.history, to: folder.file(RunFiles.history))
    }
}

/// `history.csv`: one row per completed epoch, `epoch` first, then Keras' keys in the order people read them.
public enum HistoryFile {
    /// Writes every row, atomically.
    public static func write(_ rows: [Logs], to url: URL) throws {
        let columns = CSVLogger.order(Array(Set(rows.flatMap(\.keys))))
        var text = (["epoch"] + columns).joined(separator: ",") + "\n"
        for (i, logs) in rows.enumerated() {
            text += CSVLogger.row(epoch: i + 1, logs: logs, columns: columns) + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}
