import Foundation
import PetalFiles

/// Writes one CSV row per epoch (`epoch` first, then the log keys in a fixed order), flushed every epoch so
/// a crash loses nothing already written.
public final class CSVLogger: Callback {
    /// The CSV file.
    public let url: URL
    /// Keep the rows already in the file (a resumed run) instead of starting a new one.
    public let append: Bool
    private var columns: [String]?
    private var handle: FileHandle?

    /// - Parameters:
    ///   - url: the file to write.
    ///   - append: keep the rows of earlier epochs already in the file (a resumed run).
    public init(url: URL, append: Bool = false) {
        self.url = url
        self.append = append
    }

    /// Keras' names first, in the order people read them; anything else after, sorted.
    public static func order(_ keys: [String]) -> [String] {
        let preferred = ["loss", "accuracy", "auc", "val_loss", "val_accuracy", "val_auc", "lr"]
        return preferred.filter(keys.contains) + keys.filter { !preferred.contains($0) }.sorted()
    }

    /// Opens the file (truncating it, or keeping the rows before this run's first epoch).
    /// One row: the 1-based epoch, then each column's value (empty when the logs lack it).
    public static func row(epoch: Int, logs: Logs, columns: [String]) -> String {
        ([String(epoch)] + columns.map { logs[$0].map { String($0) } ?? "" }).joined(separator: ",")
    }

    /// Starts a new file (or continues one when appending): the columns are fixed by the first epoch's logs.
    public func trainBegin(_ state: TrainingState) throws {
        columns = nil
        if append, let text = try? String(contentsOf: url, encoding: .utf8), let header = text.split(separator: "\n").first {
            // Keep the header and the rows of epochs before this run's first one.
            columns = Array(header.split(separator: ",").map(String.init).dropFirst())
            let kept = text.split(separator: "\n").prefix { line in Int(line.prefix { $0 != "," }).map { $0 <= state.epoch } ?? true }
            try AtomicFile.write(Data((kept.joined(separator: "\n") + "\n").utf8), to: url)
        } else if !FileManager.default.createFile(atPath: url.path, contents: nil) {
            throw TrainingError.invalidSetting("CSVLogger: cannot write \(url.path)")
        } else {
            RunFolderManifest.record(url)
        }
        guard let h = try? FileHandle(forWritingTo: url) else { throw TrainingError.invalidSetting("CSVLogger: cannot write \(url.path)") }
        try h.seekToEnd()
        handle = h
    }

    /// Appends the epoch's row and flushes it to disk.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        guard let handle else { return }
        if columns == nil {
            columns = CSVLogger.order(Array(logs.keys))
            handle.write(Data((["epoch"] + columns!).joined(separator: ",").appending("\n").utf8))
        }
        handle.write(Data((CSVLogger.row(epoch: state.epoch + 1, logs: logs, columns: columns!) + "\n").utf8))
        try handle.synchronize()
    }

    /// Closes the file.
    public func trainEnd(_ state: TrainingState) throws {
        try handle?.close()
        handle = nil
    }
}
