import ArgumentParser
import Foundation
import Petal

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a ResNet on a class-folder data set and write a run folder with checkpoints, history, plots and a report.",
        discussion: """
            The run folder holds config.json, split.json, scan.json, history.csv, best.safetensors, last.safetensors, \
            training-state.safetensors (what --resume reads), evaluation.json and report.html. One process writes a folder at a \
            time. Ctrl-C or SIGTERM stops after the current batch and exits 130 / 143; --resume then reruns the cut epoch and \
            ends exactly as an uninterrupted run would.
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "Epochs to train.")
    var epochs = 10

    @Option(help: "Log key that picks the best checkpoint: val_auc, val_accuracy, val_loss, loss or accuracy.")
    var monitor = "val_auc"

    @Option(help: "Whether a larger or smaller monitored value is better: min or max (default: max for accuracy/AUC, min for losses).")
    var mode: MonitorMode?

    @Option(help: "Stop after this many epochs without improvement of the monitored value.")
    var earlyStopping: Int?

    @Option(help: "With --pretrained: train only the new classifier for this many epochs (the rest frozen, batch-norm statistics included), then everything.")
    var freezeEpochs = 0

    @Option(help: "Compute threads (default: all cores; a resumed run keeps the count it began with).")
    var threads: Int?

    @Option(help: "Folder under which the run folder is created.")
    var output = "runs"

    @Option(help: "Name appended to the run folder's date and time.")
    var name = "train"

    @Option(help: "Use exactly this run folder (created if missing) instead of a dated one under --output.")
    var runDir: String?

    @Flag(help: "Replace the run already in --run-dir (its files are deleted first).")
    var overwrite = false

    @Option(help: "Continue the run in this run folder from its last completed epoch, with its saved settings (a data folder given as argument replaces a moved one).")
    var resume: String?

    @Flag(help: "Skip the HTML report and plots.")
    var noReport = false

    func run() throws {
        try runReportingErrors {
            try applyThreads(threads)
            let run: TrainingRun
            if let resume {
                run = try TrainingRun(resuming: try RunFolder.open(URL(fileURLWithPath: resume)), dataDirectory: data.dataDir, threads: threads)
            } else {
                var configuration = try runConfiguration(data: data, model: model, optimizer: optimizer, epochs: epochs,
                                                         monitor: monitor, mode: mode, earlyStopping: earlyStopping)
                configuration.threads = Device.default.threads
                configuration.freezeEpochs = freezeEpochs
                try configuration.validate()
                let folder = try runDir.map { try RunFolder.create(at: URL(fileURLWithPath: $0), overwrite: overwrite) }
                    ?? RunFolder.dated(under: URL(fileURLWithPath: output), name: name)
                run = try TrainingRun(configuration: configuration, folder: folder)
            }
            installStopHandlers()
            let result = try run.run(callbacks: [ProgressBar()], stop: runStop, writeReport: !noReport, log: { say($0) })
            if let code = result.stopCode {
                say("Stopped by \(code == SIGTERM ? "SIGTERM" : "Ctrl-C") after \(result.history.count) completed epochs; the cut epoch reruns on resume: petal train --resume \(result.folder.path)")
                throw ExitCode(128 + code)
            }
            say("Run folder: \(result.folder.path)")
            if let reason = result.stopReason {
                guard reason.hasPrefix("early stopping") else { throw ValidationFailure("training stopped: \(reason)") }
                say("Stopped early: \(reason)")
            }
        }
    }
}
