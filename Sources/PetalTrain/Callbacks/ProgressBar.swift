import Foundation

/// Shows progress: on a terminal, a bar per epoch with images/s, ETA and the running loss and accuracy;
/// otherwise (logs, CI) one plain line per epoch.
public final class ProgressBar: Callback {
    private let interactive: Bool
    private let write: (String) -> Void
    private var epochStart = Date(), lastDraw = Date.distantPast
    private var images = 0

    /// - Parameters:
    ///   - interactive: draw a live bar; defaults to whether standard output is a terminal.
    ///   - write: where text goes (standard output by default).
    public init(interactive: Bool? = nil, write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.interactive = interactive ?? (isatty(STDOUT_FILENO) != 0)
        self.write = write
    }

    /// Starts the epoch's line.
    public func epochBegin(_ state: TrainingState) throws {
        epochStart = Date()
        images = 0
    }

    /// Redraws the bar with the running loss and accuracy (on a terminal).
    public func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws {
        images += Int(logs["batch_size"] ?? 0)
        guard interactive, Date().timeIntervalSince(lastDraw) > 0.1 || batch + 1 == state.batchesPerEpoch else { return }
        lastDraw = Date()
        let done = batch + 1, total = max(state.batchesPerEpoch, 1)
        let elapsed = Date().timeIntervalSince(epochStart)
        let width = 24, filled = width * done / total
        let bar = String(repeating: "=", count: max(filled - 1, 0)) + (filled > 0 ? ">" : "") + String(repeating: " ", count: width - filled)
        let eta = elapsed / Double(done) * Double(total - done)
        write(String(format: "\r\u{1B}[2KEpoch %d/%d [%@] %d/%d · %.1f img/s · ETA %@ · loss %.4f · accuracy %.4f",
                     state.epoch + 1, state.epochs, bar, done, total, Double(images) / max(elapsed, 1e-9), ProgressBar.duration(eta),
                     logs["loss"] ?? .nan, logs["accuracy"] ?? .nan))
    }

    /// Prints the epoch's summary line.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        let elapsed = Date().timeIntervalSince(epochStart)
        let shown = CSVLogger.order(logs.keys.filter { $0 != "batch_loss" && $0 != "batch_size" })
            .map { key in key == "lr" ? String(format: "lr %.3g", logs[key]!) : String(format: "%@ %.4f", key, logs[key]!) }
        let line = String(format: "Epoch %d/%d · %@ · %.0f img/s · ", state.epoch + 1, state.epochs, ProgressBar.duration(elapsed),
                          Double(images) / max(elapsed, 1e-9)) + shown.joined(separator: " · ")
        write((interactive ? "\r\u{1B}[2K" : "") + line + "\n")
    }

    /// Ends the last line.
    public func trainEnd(_ state: TrainingState) throws {
        if let reason = state.stopReason { write("Stopped: \(reason)\n") }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }
}
