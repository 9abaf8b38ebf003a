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
            ends exactly as an uninterrupted run would. A run cut after its last epoch, before its evaluation and report \
            were written, writes them on --resume; `petal report RUN` rebuilds them at any time.

            Distributed: `mpirun -np N petal train DATA …` (add --hostfile FILE for several machines) trains one model \
            on N processes (ranks). --batch-size is the global batch: each rank computes its 1/N share of every batch, \
            gradients are averaged over the whole batch before each step, so the run learns as one process with that \
            batch and learning rate does (raise --lr with the batch, not with N). Each rank uses the machine's cores ÷ \
            its ranks on it unless --threads is given. Rank 0 alone writes the run folder; every machine needs the \
            data at the same path. A rank that dies ends the job; --resume then continues from the last completed \
            epoch, with any number of ranks.
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

    @Flag(help: "With --resume: go on without the images of the run's split that were deleted or damaged since it began (each is named), instead of refusing.")
    var skipMissingFiles = false

    @Flag(help: "Skip the HTML report and plots.")
    var noReport = false

    @Option(help: "Label smoothing ε of the cross-entropy, 0 ≤ ε < 1 (0.1 is common).")
    var labelSmoothing: Float = 0

    @Option(help: "Class weights of the loss: none, or auto (inverse class frequency, for unbalanced folders).")
    var classWeights: ClassWeightsOption = .none

    @Flag(help: "Evaluate the best checkpoint with test-time augmentation (each image averaged with its mirror image).")
    var tta = false

    @Option(help: "TensorBoard log folder (default: the run folder's tensorboard/); watch it with `tensorboard --logdir`.")
    var tensorboard: String?

    @Flag(help: "Write no TensorBoard logs.")
    var noTensorboard = false

    @Flag(help: "Also log every parameter's histogram to TensorBoard each epoch.")
    var tensorboardHistograms = false

    @Flag(help: "Under mpirun: batch-norm statistics over the whole global batch (PyTorch's SyncBatchNorm) instead of each rank's share.")
    var syncBatchNorm = false

    /// The options a resume takes; any other would be ignored, so it is refused.
    static let resumeOptions: Set = ["--resume", "--threads", "--no-report", "--skip-missing-files", "--help", "-h"]

    /// The options on the command line, as typed (`--lr=0.1` as `--lr`).
    static func givenOptions() -> [String] {
        let arguments = CommandLine.arguments.dropFirst()
        return arguments.prefix { $0 != "--" }.filter { $0.hasPrefix("-") && Double($0) == nil }.map { String($0.split(separator: "=", maxSplits: 1)[0]) }
    }

    func run() throws {
        try runReportingErrors {
            try applyThreads(threads)
            let job = try MPIJob.current()
            if let job, job.rank != 0 {
                // Rank 0 sends the settings and the state; this rank trains its share and writes nothing.
                installDistributedStopHandlers(resume: nil)
                return try TrainingRun.runWorker(try DataParallel(job.communicator), threads: job.threads(requested: threads), log: job.workerLog())
            }
            if let job { try applyThreads(job.threads(requested: threads)) }
            let run: TrainingRun
            if resume != nil, let option = Self.givenOptions().first(where: { !Self.resumeOptions.contains($0) }) {
                throw ValidationFailure("\(option) cannot be given with --resume: a resumed run keeps the settings it began with (its config.json); only --threads, --no-report, --skip-missing-files and the data folder, when it moved, may be given")
            }
            if skipMissingFiles && resume == nil {
                throw ValidationFailure("--skip-missing-files applies to --resume (a new run draws its split from the files there are)")
            }
            if overwrite && runDir == nil && resume == nil {
                throw ValidationFailure("--overwrite needs --run-dir (without it the run goes into a new dated folder, which there is nothing to overwrite in)")
            }
            if let resume {
                run = try TrainingRun(resuming: try RunFolder.open(URL(fileURLWithPath: resume)), dataDirectory: data.dataDir.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                      threads: job.map { $0.threads(requested: threads) } ?? threads, skipMissingFiles: skipMissingFiles)
            } else {
                var configuration = try runConfiguration(data: data, model: model, optimizer: optimizer, epochs: epochs,
                                                         monitor: monitor, mode: mode, earlyStopping: earlyStopping)
                configuration.threads = Device.default.threads
                configuration.freezeEpochs = freezeEpochs
                (configuration.labelSmoothing, configuration.balancedClassWeights) = (labelSmoothing == 0 ? nil : labelSmoothing, classWeights == .auto)
                configuration.testTimeAugmentation = tta
                if noTensorboard && (tensorboard != nil || tensorboardHistograms) {
                    throw ValidationFailure("--no-tensorboard cannot be combined with --tensorboard or --tensorboard-histograms")
                }
                configuration.tensorBoard = TensorBoardSettings(enabled: !noTensorboard, directory: tensorboard.map { URL(fileURLWithPath: $0, isDirectory: true) }, histograms: tensorboardHistograms)
                if syncBatchNorm {
                    guard job != nil else { throw ValidationFailure("--sync-batch-norm needs a distributed run (mpirun -np N petal train …)") }
                    configuration.synchronizedBatchNorm = true
                }
                try configuration.validate()
                if let runDir { try configuration.checkRunFolder(URL(fileURLWithPath: runDir)) }
                let folder = try runDir.map { try RunFolder.create(at: URL(fileURLWithPath: $0), overwrite: overwrite) }
                    ?? RunFolder.dated(under: URL(fileURLWithPath: output), name: name)
                run = try TrainingRun(configuration: configuration, folder: folder)
            }
            // Under mpirun a signal ends the process at once: every rank must stop at the same step, and the last
            // completed epoch is saved either way (the cut one reruns on resume, as after a graceful stop).
            if let job {
                installDistributedStopHandlers(resume: "mpirun -np \(job.communicator.size) petal train --resume \(run.folder.url.path)")
            } else {
                installStopHandlers()
            }
            let dataParallel = try job.map { try DataParallel($0.communicator) }
            let result = try run.run(callbacks: [ProgressBar()], stop: job == nil ? runStop : nil, writeReport: !noReport,
                                     dataParallel: dataParallel, log: { say($0) })
            if let code = result.stopCode {
                // The progress bar has said "Stopped: interrupted by …" when an epoch was cut.
                let epochs = "\(result.history.count) completed epoch\(result.history.count == 1 ? "" : "s")"
                say(result.finishingCut
                    ? "Stopped by \(StopSignal.describe(code)) after training, before the report was written; resuming writes it: petal train --resume \(result.folder.path)"
                    : "\(epochs) kept; the cut epoch reruns on resume: petal train --resume \(result.folder.path)")
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

/// `--class-weights`: equal weights, or inverse class frequency.
enum ClassWeightsOption: String, ExpressibleByArgument, CaseIterable {
    case none, auto
}
