// One training run from data to report, as `petal train` runs it: prepare and check the data, build the model and
// optimizer (from the configuration, or from factories and batches a library user passes), train with the run's callbacks (schedule, progress, checkpoints, early
// stopping), then evaluate the best checkpoint on the validation split and write the report. A resumed run reads
// everything from its folder, so it continues with the settings it began with and ends as an uninterrupted run.
import Foundation
import PetalData
import PetalNN
import PetalTrain
import PetalTensorBoard

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
    /// Whether a stop request came after training ended, before the evaluation and report were written: a resume
    /// then writes only those.
    public var finishingCut = false
}

/// A training run writing into one run folder.
public final class TrainingRun {
    /// The run's settings.
    public let configuration: RunConfiguration
    /// The folder written (and locked) by the run.
    public let folder: RunFolder
    /// Whether the run continues one already in the folder.
    public let isResumed: Bool
    /// Whether a resumed run goes on without the files of its split that are gone (see ``init(resuming:dataDirectory:threads:model:optimizer:data:skipMissingFiles:)``).
    public let skipMissingFiles: Bool
    /// Builds the network: the configuration's ``RunConfiguration/model`` unless the run was given a factory.
    public let modelFactory: any ModelFactory
    /// Builds the optimizer: the configuration's ``RunConfiguration/optimizer`` unless the run was given a factory.
    public let optimizerFactory: any OptimizerFactory
    /// The batches the run was given; nil when it prepares them from the class folders of the configuration.
    public let data: RunData?

    /// A new run into `folder` (see ``RunFolder/create(at:overwrite:)``); the configuration is checked at once.
    /// - Parameters:
    ///   - model: builds the network instead of the configuration's ``RunConfiguration/model`` (any `Module` mapping
    ///     images to logits; an `ImageClassifier` also gets `freezeEpochs` and Grad-CAM pictures in the report).
    ///   - optimizer: builds the optimizer instead of the configuration's ``RunConfiguration/optimizer``; the schedule
    ///     still starts from its learning rate.
    ///   - data: batches to train and validate on instead of the class folders of
    ///     ``RunConfiguration/dataDirectory`` (the report then has no photos).
    public init(configuration: RunConfiguration, folder: RunFolder, model: (any ModelFactory)? = nil, optimizer: (any OptimizerFactory)? = nil,
                data: RunData? = nil) throws {
        var configuration = configuration
        (configuration.customModel, configuration.customData) = (model?.modelDescription, data?.description)
        configuration.runID = UUID().uuidString  // every new run is a new identity, even from another run's settings
        try configuration.validate()
        if data == nil { try configuration.checkRunFolder(folder.url) }
        guard !folder.holdsRun else {
            throw RunError.folder(path: folder.url.path, reason: "already holds a run; resume it or create the folder with overwrite")
        }
        (self.configuration, self.folder, isResumed, skipMissingFiles) = (configuration, folder, false, false)
        (modelFactory, optimizerFactory, self.data) = (model ?? configuration.model, optimizer ?? configuration.optimizer, data)
    }

    /// Continues the run in `folder` with the settings it began with.
    /// - Parameter dataDirectory: where the data set is now, when it moved since the run began.
    /// - Parameter threads: compute threads, when the run should use another count than it began with.
    /// - Parameter model: the factory the run was given when it began (a run that trained a model of its own resumes
    ///   only with it).
    /// - Parameter optimizer: the optimizer factory the run was given when it began.
    /// - Parameter data: the batches the run was given when it began (a run that trained on data of its own resumes
    ///   only with them).
    /// - Parameter skipMissingFiles: go on without the files of the run's split that were deleted or damaged since it
    ///   began (each named in a warning), instead of refusing to resume; the run then no longer ends as it would have.
    public init(resuming folder: RunFolder, dataDirectory: URL? = nil, threads: Int? = nil, model: (any ModelFactory)? = nil,
                optimizer: (any OptimizerFactory)? = nil, data: RunData? = nil, skipMissingFiles: Bool = false) throws {
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
        switch (configuration.customModel, model) {
        case (let custom?, nil):
            throw RunError.cannotResume(path: folder.url.path, reason: "it trained a model of its own (\(custom)); resume it with that model's factory")
        case (nil, let given?):
            throw RunError.cannotResume(path: folder.url.path, reason: "it trained the configured \(configuration.model.modelDescription), not \(given.modelDescription)")
        default: break
        }
        switch (configuration.customData, data) {
        case (let custom?, nil):
            throw RunError.cannotResume(path: folder.url.path, reason: "it trained on data of its own (\(custom)); resume it with the same data")
        case (nil, .some):
            throw RunError.cannotResume(path: folder.url.path, reason: "it trained on the class folders of \(configuration.dataDirectory.path), not on data of its own")
        case (nil, nil):
            guard folder.contains(RunFiles.split) else {
                throw RunError.cannotResume(path: folder.url.path, reason: "\(RunFiles.split) is missing, so the run's training/validation split is lost; start a new run")
            }
        default: break
        }
        (self.configuration, self.folder, isResumed, self.skipMissingFiles) = (configuration, folder, true, skipMissingFiles)
        (modelFactory, optimizerFactory, self.data) = (model ?? configuration.model, optimizer ?? configuration.optimizer, data)
    }

    /// Runs (or continues) the training, then evaluates the best checkpoint and writes the report.
    /// - Parameters:
    ///   - callbacks: extra callbacks, called after the schedule and before the stop check and the run's own checkpointing.
    ///   - stop: lets another thread or a signal handler stop the run after the current batch.
    ///   - writeReport: write the image grids and `report.html` (on by default).
    ///   - dataParallel: train with the other ranks of a distributed run; this process must be rank 0, and every
    ///     other rank calls ``runWorker(_:threads:model:optimizer:data:log:)`` at the same time. Rank 0 alone reads and writes the folder.
    ///     When a rank throws, end the whole job (PetalMPI's `MPICommunicator.abort(code:)`, as `petal train` does):
    ///     the other ranks would otherwise wait for it in their next collective forever.
    ///   - log: receives the data summary, warnings and status lines.
    public func run(callbacks extra: [Callback] = [], stop: StopSignal? = nil, writeReport: Bool = true, dataParallel: DataParallel? = nil,
                    log: @escaping @Sendable (String) -> Void = PetalLog.sink) throws -> RunResult {
        if let dataParallel, dataParallel.rank != 0 {
            throw RunError.invalidSetting("dataParallel", reason: "a TrainingRun with a folder runs on rank 0; rank \(dataParallel.rank) calls TrainingRun.runWorker")
        }
        return try Self.device(threads: configuration.threads).withCurrent {
            try runOnCurrentDevice(callbacks: extra, stop: stop, writeReport: writeReport, dataParallel: dataParallel, log: log)
        }
    }

    /// The device a run computes on: one of its own with `threads` threads, else the caller's current one. A run never
    /// changes the process's default device.
    static func device(threads: Int?) -> Device {
        guard let threads, threads != Device.current.threads else { return .current }
        return Device(threads: threads)
    }

    private func runOnCurrentDevice(callbacks extra: [Callback], stop: StopSignal?, writeReport: Bool, dataParallel: DataParallel?,
                                    log: @escaping @Sendable (String) -> Void) throws -> RunResult {
        let c = configuration
        let data = try self.data ?? RunData(DataPipeline.prepare(root: c.dataDirectory, config: c.data,
                                                                   splitFile: isResumed ? folder.file(RunFiles.split) : nil, skipMissing: skipMissingFiles, log: log))
        let classes = data.classNames
        let model = try c.makeModel(classes: classes.count, factory: modelFactory, log: log)  // a resumed run then loads its own state over it
        let optimizer = try optimizerFactory.makeOptimizer(for: model, learningRate: nil)

        var progress = TrainingProgress()
        if isResumed {
            if folder.contains(RunFiles.trainingState) {
                do { progress = try ResumeCheckpoint.load(from: folder.file(RunFiles.trainingState), model: model, optimizer: optimizer) } catch TrainingError.state(let reason) {
                    throw RunError.cannotResume(path: folder.url.path, reason: reason)
                }
                if let id = c.runID, progress.runID != id {
                    let other = progress.runID.map { "run \($0)" } ?? "a run begun by an older Petal"
                    throw RunError.cannotResume(path: folder.url.path, reason: "\(RunFiles.trainingState) belongs to another run (\(other)), not to this folder's run \(id); put back its own or start a new run")
                }
            } else if folder.contains("last.optimizer.safetensors") {
                throw RunError.cannotResume(path: folder.url.path, reason: "it was written by an older Petal without \(RunFiles.trainingState)")
            } else if let rows = CSVTable(url: folder.file(RunFiles.history))?.rows, rows > 0 {
                // history.csv is written after the unit, so rows without a unit mean the unit was removed.
                throw RunError.cannotResume(path: folder.url.path, reason: "\(RunFiles.trainingState) is missing though \(rows) epoch\(rows == 1 ? " is" : "s are") recorded; start a new run")
            } else {
                progress.runID = c.runID  // killed before its first epoch ended: it starts again from the seeded initial weights
            }
            if let bestEpoch = progress.bestEpoch, !folder.contains(RunFiles.best) {
                throw RunError.cannotResume(path: folder.url.path, reason: "\(RunFiles.best), the best model so far (epoch \(bestEpoch + 1)), is missing; put it back or start a new run")
            }
            try HistoryFile.write(progress.history, to: folder.file(RunFiles.history))
            if progress.isOver(epochs: c.epochs) {
                // Training is over; what a cut run may lack is its last stage, which is done again whole.
                let ended = progress.stopReason.map { "ended (\($0))" } ?? "finished its \(c.epochs) epochs"
                let missing = [RunFiles.evaluation] + (writeReport ? [RunFiles.report] : [])
                guard folder.contains(RunFiles.best), missing.contains(where: { !folder.contains($0) }) else {
                    throw RunError.cannotResume(path: folder.url.path, reason: "it already \(ended) and was evaluated (petal report rebuilds its evaluation and report)")
                }
                log("The run in \(folder.url.path) already \(ended); writing its evaluation and report")
            } else {
                log("Resuming \(folder.url.path) at epoch \(progress.completedEpochs + 1) of \(c.epochs)")
            }
        } else {
            progress.runID = c.runID
            // config.json marks a folder as holding a run, so it comes last: a run killed before it leaves a folder
            // that a new run reuses, never one that can neither resume (no split) nor start again.
            if let prepared = data.classFolders {
                try prepared.split.write(to: folder.file(RunFiles.split))
                try folder.writeJSON(prepared.report, to: RunFiles.scan)
            }
            try folder.writeJSON(c, to: RunFiles.configuration)
        }
        if let dataParallel {
            // The other ranks get everything from here: settings, split and the whole training state.
            _ = try dataParallel.communicator.broadcast(WorkerBrief(configuration: c, split: data.classFolders?.split) as WorkerBrief?)
            _ = try dataParallel.communicator.broadcast([UInt8](try ResumeCheckpoint.encoded(model: model, optimizer: optimizer, progress: progress)))
        }
        if progress.isOver(epochs: c.epochs) {  // only the last stage is left (the other ranks have nothing to train)
            let finished = try finish(data, tensorBoard: tensorBoardLogger(nil, startEpoch: progress.completedEpochs, log: log), bestEpoch: progress.bestEpoch,
                                      writeReport: writeReport, stop: stop, log: log)
            return RunResult(folder: folder.url, history: progress.history, stopReason: progress.stopReason, stopCode: finished.stopCode,
                             evaluation: finished.summary, finishingCut: finished.stopCode != nil)
        }

        var callbacks = extra
        let tensorBoard = try tensorBoardLogger(data.classFolders, startEpoch: progress.completedEpochs, log: log)
        if let tensorBoard { callbacks.append(tensorBoard) }
        if let stop { callbacks.append(StopCallback(stop)) }
        // The folder's record, in an order a kill at any moment cannot corrupt: the best model (when the monitored
        // value improved), the early-stopping decision, the resume unit (the one file a resume reads), then history.csv.
        let metadata = checkpointMetadata(model, classes: classes)
        let resume = ResumeCheckpoint(file: folder.file(RunFiles.trainingState), monitor: c.monitor, mode: c.monitorMode,
                                      lastModel: folder.file(RunFiles.last), metadata: metadata, resuming: progress)
        callbacks += [MonitoredKeyCheck(monitor: c.monitor, classes: classes),
                      ModelCheckpoint(file: folder.file(RunFiles.best), monitor: c.monitor, mode: c.monitorMode, metadata: metadata, resumingBest: progress.best)]
        if let patience = c.earlyStoppingPatience {
            callbacks.append(try EarlyStopping(monitor: c.monitor, mode: c.monitorMode, patience: patience, resuming: progress))
        }
        callbacks += [resume, HistoryFileWriter(resume, to: folder.file(RunFiles.history))]
        if data.classFolders != nil { log("Crop: \(c.data.cropDescription)") }
        log("Recipe: \(c.recipeDescription) (\(c.optimizer.kind.rawValue) lr \(c.optimizer.learningRate), momentum \(c.optimizer.momentum), weight decay \(c.optimizer.weightDecay), clip norm \(c.optimizer.clipNorm), schedule \(c.schedule.description))")
        log("Training \(model.layerDescription) (\(model.parameterCount.formatted()) parameters) on \(classes.joined(separator: ", ")) for \(c.epochs) epoch\(c.epochs == 1 ? "" : "s"), "
            + (dataParallel.map { "\($0.size) ranks × \(Device.current.threads) threads, global batch \(c.data.batchSize)" } ?? "\(Device.current.threads) threads"))
        let history = try Self.train(c, data, model, optimizer, progress, callbacks, dataParallel)
        let stopCode = history.stopReason == nil ? nil : stop?.requested
        if stopCode != nil {
            return RunResult(folder: folder.url, history: resume.progress.history, stopReason: history.stopReason, stopCode: stopCode, evaluation: nil)
        }

        let finished = try finish(data, tensorBoard: tensorBoard, bestEpoch: resume.progress.bestEpoch, writeReport: writeReport, stop: stop, log: log)
        return RunResult(folder: folder.url, history: resume.progress.history, stopReason: history.stopReason, stopCode: finished.stopCode,
                         evaluation: finished.summary, finishingCut: finished.stopCode != nil)
    }

    /// The run's last stage: the best checkpoint evaluated again on the validation split (`evaluation.json`, the
    /// TensorBoard confusion matrix), then the report's pictures and `report.html`. Each file is written whole, so a run
    /// cut here (a stop request between the steps, a kill, a full disk) does this stage again on resume.
    private func finish(_ data: RunData, tensorBoard: TensorBoardLogger?, bestEpoch: Int?, writeReport: Bool, stop: StopSignal?,
                        log: @escaping @Sendable (String) -> Void) throws -> (summary: EvaluationSummary?, stopCode: Int32?) {
        guard folder.contains(RunFiles.best) else { return (nil, nil) }
        let classes = data.classNames
        let best = try modelFactory.makeModel(classes: classes.count, seed: 0)
        try best.load(from: folder.file(RunFiles.best))
        let evaluation = try evaluate(best, on: data.validation, flipAveraging: configuration.testTimeAugmentation)
        let summary = EvaluationSummary(evaluation, classes: classes)
        try folder.writeJSON(summary, to: RunFiles.evaluation)
        try tensorBoard?.validationWriter?.image("best_model/confusion_matrix", TensorBoardPictures.confusionMatrix(evaluation.report.matrix),
                                                 step: bestEpoch ?? 0)
        guard writeReport else { return (summary, nil) }
        if let code = stop?.requested { return (summary, code) }
        if let prepared = data.classFolders {
            ReportInputs.write(folder: folder, prepared: prepared, model: best, evaluation: evaluation, log: log)
        }
        if let code = stop?.requested { return (summary, code) }
        try RunReport(folder: folder).write()
        log("Report: \(folder.file(RunFiles.report).path)")
        return (summary, nil)
    }

    /// Evaluates the best checkpoint again and writes `evaluation.json` and the report, whether or not training has
    /// ended (a report of a stopped run shows its epochs so far): what `petal report` does.
    /// - Returns: the evaluation, or nil when the folder has no best checkpoint yet.
    public func writeReport(log: @escaping @Sendable (String) -> Void = PetalLog.sink) throws -> EvaluationSummary? {
        try Self.device(threads: configuration.threads).withCurrent {
            let c = configuration
            let data = try self.data ?? RunData(DataPipeline.prepare(root: c.dataDirectory, config: c.data,
                                                                       splitFile: folder.file(RunFiles.split), skipMissing: skipMissingFiles, log: log))
            return try finish(data, tensorBoard: nil, bestEpoch: nil, writeReport: true, stop: nil, log: log).summary
        }
    }

    /// The TensorBoard callback of the configuration (nil when turned off), which also logs the first augmented batch
    /// of class-folder data.
    private func tensorBoardLogger(_ prepared: PreparedData?, startEpoch: Int, log: (String) -> Void) throws -> TensorBoardLogger? {
        let settings = configuration.tensorBoard ?? TensorBoardSettings()
        guard settings.enabled else { return nil }
        let directory = settings.directory ?? folder.file(RunFiles.tensorBoard)
        let logger = TensorBoardLogger(directory: directory, histograms: settings.histograms)
        if let train = prepared?.train {
            logger.picturesAtStart = [(tag: "training_batch", make: { try TensorBoardPictures.batchGrid(train.batch(epoch: startEpoch, index: 0), doubled: train.doubles) })]
        }
        log("TensorBoard: tensorboard --logdir \(directory.path)")
        return logger
    }

    /// A rank other than 0 of a distributed run: receives the settings, the split and the training state from rank 0,
    /// trains its part of every batch in step with the others and returns when they finish. It never touches the
    /// run folder (which may live on another machine); the data set must be at the same path as on rank 0.
    /// - Parameters:
    ///   - threads: compute threads of this rank (default: the run's setting).
    ///   - model: rank 0's model factory, when its run was given one (every rank needs the same).
    ///   - optimizer: rank 0's optimizer factory, when its run was given one.
    ///   - data: rank 0's batches, when its run was given its own.
    ///   - log: receives warnings about this rank's data (files that no longer decode).
    public static func runWorker(_ dataParallel: DataParallel, threads: Int? = nil, model: (any ModelFactory)? = nil,
                                 optimizer: (any OptimizerFactory)? = nil, data: RunData? = nil,
                                 log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        guard dataParallel.rank != 0 else {
            throw RunError.invalidSetting("dataParallel", reason: "rank 0 runs a TrainingRun with its folder, not a worker")
        }
        let brief: WorkerBrief = try dataParallel.communicator.broadcast(nil as WorkerBrief?)
        var c = brief.configuration
        if let threads { c.threads = threads }
        if c.customModel != nil && model == nil { throw RunError.invalidSetting("model", reason: "rank 0 trains a model of its own (\(c.customModel!)); pass its factory to every rank") }
        let workerData: RunData
        if let data { workerData = data } else if let split = brief.split {
            workerData = try RunData(DataPipeline.prepare(root: c.dataDirectory, config: c.data, split: split, log: log))
        } else {
            throw RunError.invalidSetting("data", reason: "rank 0 trains on data of its own (\(c.customData ?? "")); pass the same data to every rank")
        }
        try device(threads: c.threads).withCurrent {
            // The architecture only: rank 0 sends the weights (pretrained ones included, which need not exist here).
            let network = try (model ?? c.model).makeModel(classes: workerData.classNames.count, seed: c.data.seed)
            let optimizer = try (optimizer ?? c.optimizer).makeOptimizer(for: network, learningRate: nil)
            let unit = try dataParallel.communicator.broadcast([UInt8]())
            let progress = try ResumeCheckpoint.restore(Data(unit), source: URL(fileURLWithPath: "rank-0/\(RunFiles.trainingState)"), model: network, optimizer: optimizer)
            guard !progress.isOver(epochs: c.epochs) else { return }  // rank 0 only finishes the run
            _ = try train(c, workerData, network, optimizer, progress, [], dataParallel)
        }
    }

    /// The training itself, the same on every rank: the schedule, NaN and freezing callbacks, then `extra`.
    private static func train(_ c: RunConfiguration, _ data: RunData, _ model: Module, _ optimizer: Optimizer, _ progress: TrainingProgress,
                              _ extra: [Callback], _ dataParallel: DataParallel?) throws -> History {
        let schedule = c.schedule.schedule(base: c.optimizer.learningRate, epochs: c.epochs, stepsPerEpoch: data.train.batchesPerEpoch)
        var callbacks: [Callback] = [try LearningRateScheduler(schedule), TerminateOnNaN()]
        if c.freezeEpochs > 0 {
            guard let classifier = model as? ImageClassifier else {
                throw RunError.invalidSetting("freezeEpochs", reason: "needs a model whose classifier head is known (an ImageClassifier); \(model.layerDescription) is not one")
            }
            callbacks.append(try FreezeBackbone(epochs: c.freezeEpochs, trainable: classifier.classifierHead))
        }
        var train: BatchSource = data.train, validation: BatchSource = data.validation
        if let dataParallel {
            if c.synchronizedBatchNorm {
                // Every rank meets the others in every batch-norm layer, so none may sit out a batch with an empty part.
                let rest = data.train.sampleCount % data.train.batchSize
                if !data.train.dropsLast && rest > 0 && rest < dataParallel.size {
                    throw RunError.invalidSetting("batchSize", reason: "leaves a last batch of \(rest) images for \(dataParallel.size) ranks, which synchronised batch norm cannot split; drop the last batch or change the batch size")
                }
                model.synchronizeBatchNorm(dataParallel.communicator)
            }
            train = try data.train.shard(rank: dataParallel.rank, of: dataParallel.size)
            validation = try data.validation.shard(rank: dataParallel.rank, of: dataParallel.size)
        }
        return try Trainer.fit(model, train: train, validation: validation, epochs: c.epochs, optimizer: optimizer,
                               loss: c.loss(classCounts: data.train.classCounts), callbacks: callbacks + extra,
                               initialEpoch: progress.completedEpochs, dataParallel: dataParallel)
    }

    /// What the run's checkpoints record besides weights: architecture, classes and how images are prepared.
    private func checkpointMetadata(_ model: Module, classes: [String]) -> CheckpointMetadata {
        var meta = modelFactory.checkpointMetadata(for: model)
        meta.classNames = classes
        let data = configuration.data
        meta.inputSize = [data.cropHeight, data.cropWidth]
        meta.smallImages = data.smallImages.rawValue
        meta.resize = data.resize
        if case .meanStd(let mean, let std) = data.normalisation { (meta.normalisation, meta.mean, meta.std) = ("meanStd", mean, std) }
        return meta
    }
}

/// What rank 0 of a distributed run sends the other ranks before training (the split of class-folder data).
struct WorkerBrief: Codable {
    let configuration: RunConfiguration
    let split: DataSplit?
}
