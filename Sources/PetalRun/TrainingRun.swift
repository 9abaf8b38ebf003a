// One training run from data to report, as `petal train` runs it: prepare and check the data, build the model and
// optimizer from the configuration, train with the run's callbacks (schedule, progress, checkpoints, early
// stopping), then evaluate the best checkpoint on the validation split and write the report. A resumed run reads
// everything from its folder, so it continues with the settings it began with and ends as an uninterrupted run.
import Foundation
import PetalData
import PetalNN
import PetalTrain

/// What a finished (or stopped) run produced.
public struct RunResult {
    /// The folder written.
    public let folder: URL
    /// Every completed epoch's logs, including those of earlier sessions of a resumed run.
    public let history: [Logs]
    /// Why training ended before its last epoch: early stopping, a non-finite loss or a stop request.
    public let stopReason: String?
    /// The code of a ``StopSignal`` request that cut the run short; the run can be resumed.
    public let stopCode: Int32?
    /// The best checkpoint on the validation split (nil when the run was stopped before any epoch completed, or
    /// stopped by a request).
    public let evaluation: EvaluationSummary?
}

/// A training run writing into one run folder.
public final class TrainingRun {
    /// The run's settings.
    public let configuration: RunConfiguration
    /// The folder written (and locked) by the run.
    public let folder: RunFolder
    /// Whether the run continues one already in the folder.
    public let isResumed: Bool

    /// A new run into `folder` (see ``RunFolder/create(at:overwrite:)``); the configuration is checked at once.
    public init(configuration: RunConfiguration, folder: RunFolder) throws {
        try configuration.validate()
        guard !folder.holdsRun else {
            throw RunError.folder(path: folder.url.path, reason: "already holds a run; resume it or create the folder with overwrite")
        }
        (self.configuration, self.folder, isResumed) = (configuration, folder, false)
    }

    /// Continues the run in `folder` with the settings it began with.
    /// - Parameter dataDirectory: where the data set is now, when it moved since the run began.
    /// - Parameter threads: compute threads, when the run should use another count than it began with.
    public init(resuming folder: RunFolder, dataDirectory: String? = nil, threads: Int? = nil) throws {
        guard folder.holdsRun else {
            throw RunError.cannotResume(path: folder.url.path, reason: "it holds no run (\(RunFiles.configuration) is missing)")
        }
        var configuration: RunConfiguration
        do { configuration = try folder.readJSON(RunConfiguration.self, from: RunFiles.configuration) } catch {
            throw RunError.cannotResume(path: folder.url.path, reason: "\(RunFiles.configuration) is unreadable or was written by an older Petal (\(error.localizedDescription))")
        }
        if let dataDirectory { configuration.dataDirectory = dataDirectory }
        if let threads { configuration.threads = threads }
        try configuration.validate()
        guard folder.contains(RunFiles.split) else {
            throw RunError.cannotResume(path: folder.url.path, reason: "\(RunFiles.split) is missing, so the run's training/validation split is lost; start a new run")
        }
        (self.configuration, self.folder, isResumed) = (configuration, folder, true)
    }

    /// Runs (or continues) the training, then evaluates the best checkpoint and writes the report.
    /// - Parameters:
    ///   - callbacks: extra callbacks, called after the schedule and before the stop check and the run's own checkpointing.
    ///   - stop: lets another thread or a signal handler stop the run after the current batch.
    ///   - writeReport: write the image grids and `report.html` (on by default).
    ///   - log: receives the data summary, warnings and status lines.
    public func run(callbacks extra: [Callback] = [], stop: StopSignal? = nil, writeReport: Bool = true,
                    log: @escaping @Sendable (String) -> Void = { print($0) }) throws -> RunResult {
        let c = configuration
        if let threads = c.threads { Device.default.threads = threads }
        let prepared = try DataPipeline.prepare(root: c.dataDirectory, config: c.data,
                                                splitFile: isResumed ? folder.file(RunFiles.split).path : nil, log: log)
        let classes = prepared.train.classNames
        guard classes.count >= 2 else {
            throw RunError.data("\(c.dataDirectory) has one class (\(classes.joined())): a classifier needs at least two class folders")
        }
        let model = try c.makeModel(classes: classes.count, log: log)  // a resumed run then loads its own state over it
        let optimizer = try c.optimizer.makeOptimizer(for: model)
        let schedule = c.schedule.schedule(base: c.optimizer.learningRate, epochs: c.epochs, stepsPerEpoch: prepared.train.batchesPerEpoch)

        var progress = RunProgress()
        if isResumed {
            if folder.contains(RunFiles.trainingState) {
                progress = try TrainingCheckpoint.load(from: folder.file(RunFiles.trainingState), model: model, optimizer: optimizer)
            } else if folder.contains("last.optimizer.safetensors") {
                throw RunError.cannotResume(path: folder.url.path, reason: "it was written by an older Petal without \(RunFiles.trainingState)")
            } else if let rows = CSVTable(url: folder.file(RunFiles.history))?.rows, rows > 0 {
                // history.csv is written after the unit, so rows without a unit mean the unit was removed.
                throw RunError.cannotResume(path: folder.url.path, reason: "\(RunFiles.trainingState) is missing though \(rows) epochs are recorded; start a new run")
            }  // else: killed before its first epoch ended, so it starts again from the seeded initial weights
            if let reason = progress.stopReason { throw RunError.cannotResume(path: folder.url.path, reason: "it already ended (\(reason))") }
            guard progress.completedEpochs < c.epochs else {
                throw RunError.cannotResume(path: folder.url.path, reason: "it already finished its \(c.epochs) epochs")
            }
            try HistoryFile.write(progress.history, to: folder.file(RunFiles.history))
            log("Resuming \(folder.url.path) at epoch \(progress.completedEpochs + 1) of \(c.epochs)")
        } else {
            try folder.writeJSON(c, to: RunFiles.configuration)
            try prepared.split.write(to: folder.file(RunFiles.split).path)
            try folder.writeJSON(prepared.report, to: RunFiles.scan)
        }

        let recorder = RunRecorder(folder: folder, configuration: c, metadata: checkpointMetadata(model, classes: classes), progress: progress)
        var callbacks: [Callback] = [try LearningRateScheduler(schedule), TerminateOnNaN()]
        if c.freezeEpochs > 0 { callbacks.append(try FreezeBackbone(epochs: c.freezeEpochs, trainable: [model.fc])) }
        callbacks += extra
        if let stop { callbacks.append(StopCallback(stop)) }
        callbacks.append(recorder)
        log("Training \(model.layerDescription) (\(model.parameterCount.formatted()) parameters) on \(classes.joined(separator: ", ")) for \(c.epochs) epochs, \(Device.default.threads) threads")
        let history = try Trainer.fit(model, train: prepared.train, validation: prepared.validation, epochs: c.epochs, optimizer: optimizer,
                                      callbacks: callbacks, initialEpoch: progress.completedEpochs)
        let stopCode = history.stopReason == nil ? nil : stop?.requested
        if stopCode != nil {
            return RunResult(folder: folder.url, history: recorder.progress.history, stopReason: history.stopReason, stopCode: stopCode, evaluation: nil)
        }

        // The report describes the best checkpoint, evaluated again on the validation split.
        var summary: EvaluationSummary?
        if folder.contains(RunFiles.best) {
            let best = try c.model.makeModel(classes: classes.count, seed: 0)
            try best.load(from: folder.file(RunFiles.best))
            let evaluation = try evaluate(best, on: prepared.validation)
            summary = EvaluationSummary(evaluation, classes: classes)
            try folder.writeJSON(summary, to: RunFiles.evaluation)
            if writeReport {
                ReportInputs.write(folder: folder, prepared: prepared, model: best, evaluation: evaluation, log: log)
                try RunReport(folder: folder).write()
                log("Report: \(folder.file(RunFiles.report).path)")
            }
        }
        return RunResult(folder: folder.url, history: recorder.progress.history, stopReason: history.stopReason, stopCode: nil, evaluation: summary)
    }

    /// What the run's checkpoints record besides weights: architecture, classes and how images are prepared.
    private func checkpointMetadata(_ model: ResNet, classes: [String]) -> CheckpointMetadata {
        var meta = CheckpointMetadata(resnet: model, classNames: classes)
        let data = configuration.data
        meta.inputSize = [data.cropHeight, data.cropWidth]
        meta.smallImages = data.smallImages.rawValue
        if case .meanStd(let mean, let std) = data.normalisation { (meta.normalisation, meta.mean, meta.std) = ("meanStd", mean, std) }
        return meta
    }
}
