// `history.csv`: one row per completed epoch, rewritten whole from the resume unit's progress after every epoch (so a
// kill between the two leaves a history that the next resume rebuilds, never a torn file).
import Foundation
import PetalTrain

/// Writes `history.csv`.
enum HistoryFile {
    /// Writes every row, atomically: `epoch` first, then Keras' keys in the order people read them.
    static func write(_ rows: [Logs], to url: URL) throws {
        let columns = CSVLogger.order(Array(Set(rows.flatMap(\.keys))))
        var text = (["epoch"] + columns).joined(separator: ",") + "\n"
        for (i, logs) in rows.enumerated() {
            text += CSVLogger.row(epoch: i + 1, logs: logs, columns: columns) + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}

/// Rewrites `history.csv` from a `ResumeCheckpoint`'s progress after it saved the unit.
final class HistoryFileWriter: Callback {
    let checkpoint: ResumeCheckpoint, url: URL
    init(_ checkpoint: ResumeCheckpoint, to url: URL) { (self.checkpoint, self.url) = (checkpoint, url) }

    func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        guard !state.epochInterrupted else { return }
        try HistoryFile.write(checkpoint.progress.history, to: url)
    }
}
