import ArgumentParser
import Foundation
import Petal

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a ResNet on a class-folder data set and write a run folder with checkpoints, history, plots and a report.")

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "Epochs to train.")
    var epochs = 10

    @Option(help: "Log key that picks the best checkpoint (val_auc, val_accuracy, val_loss, …).")
    var monitor = "val_auc"

    @Option(help: "Whether a larger or smaller monitored value is better: min or max (default: max for accuracy/AUC, min for losses).")
    var mode: MonitorMode?

    @Option(help: "Stop after this many epochs without improvement of the monitored value.")
    var earlyStopping: Int?

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    @Option(help: "Folder under which the run folder is created.")
    var output = "runs"

    @Option(help: "Name appended to the run folder's date and time.")
    var name = "train"

    @Option(help: "Use exactly this run folder (created if missing) instead of a dated one under --output.")
    var runDir: String?

    @Option(help: "Continue the run in this run folder from its last checkpoint (its saved settings are used).")
    var resume: String?

    @Flag(help: "Skip the HTML report and plots.")
    var noReport = false

    func run() throws {
        try runReportingErrors {
            if let threads {
                guard threads > 0 else { throw ValidationFailure("--threads must be positive, got \(threads)") }
                Device.default.threads = threads
            }
            guard epochs >= 1 else { throw ValidationFailure("--epochs must be at least 1, got \(epochs)") }
            if resume == nil {
                _ = try model.depth()
                try optimizer.validateNames()
            }
            let session = try TrainingSession(train: self)
            try session.run()
        }
    }
}

/// One `petal train` run from data to report.
struct TrainingSession {
    let options: Train
    let folder: RunFolder
    let config: RunConfig

    init(train options: Train) throws {
        self.options = options
        if let resume = options.resume {
            folder = try RunFolder(parent: "", name: "", path: resume)
            guard let data = try? Data(contentsOf: folder.file("config.json")), let saved = try? JSONDecoder().decode(RunConfig.self, from: data) else {
                throw ValidationFailure("cannot resume: \(folder.file("config.json").path) is missing or unreadable")
            }
            config = saved
        } else {
            folder = try RunFolder(parent: options.output, name: options.name, path: options.runDir)
            let o = options.optimizer
            config = RunConfig(data: options.data.config(), dataDir: options.data.root, model: options.model.model,
                               variant: options.model.variant.rawValue, width: options.model.width, precision: options.model.precision,
                               convolution: options.model.convolution, optimizer: o.optimizer,
                               learningRate: o.learningRate, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay,
                               clipNorm: o.clipNorm, schedule: .constant(o.learningRate), epochs: options.epochs, monitor: options.monitor,
                               earlyStoppingPatience: options.earlyStopping, threads: Device.default.threads, petalVersion: Petal.version)
        }
    }

    func run() throws {
        let resuming = options.resume != nil
        let prepared = try DataPipeline.prepare(root: config.dataDir, config: config.data,
                                                splitFile: resuming ? folder.file("split.json").path : nil, log: { say($0) })
        let classes = prepared.train.classNames
        var modelOptions = options.model
        modelOptions.model = config.model
        modelOptions.variant = ResNet.Variant(rawValue: config.variant) ?? .preActivation
        modelOptions.width = config.width
        modelOptions.precision = config.precision ?? .fp32
        modelOptions.convolution = config.convolution ?? .direct
        let model = try modelOptions.make(classes: classes.count, seed: config.data.seed)
        var optimizerOptions = options.optimizer
        (optimizerOptions.optimizer, optimizerOptions.learningRate, optimizerOptions.momentum, optimizerOptions.nesterov,
         optimizerOptions.weightDecay, optimizerOptions.clipNorm) = (config.optimizer, config.learningRate, config.momentum, config.nesterov, config.weightDecay, config.clipNorm)
        let optimizer = try optimizerOptions.make(model)
        let schedule = try optimizerOptions.schedule(epochs: config.epochs, stepsPerEpoch: prepared.train.batchesPerEpoch)
        var runConfig = config
        runConfig.schedule = schedule
        if !resuming {
            try folder.writeJSON(runConfig, to: "config.json")
            try prepared.split.write(to: folder.file("split.json").path)
            try folder.writeJSON(prepared.report, to: "scan.json")
        }

        var meta = CheckpointMetadata(resnet: model, classNames: classes)
        meta.inputSize = [config.data.cropHeight, config.data.cropWidth]
        meta.smallImages = config.data.smallImages.rawValue
        if case .meanStd(let mean, let std) = config.data.normalisation { (meta.normalization, meta.mean, meta.std) = ("meanStd", mean, std) }
        let bestPath = folder.file("best.safetensors").path, lastPath = folder.file("last.safetensors").path
        let best = ModelCheckpoint(path: bestPath, monitor: config.monitor, mode: options.mode, metadata: meta)
        let last = ModelCheckpoint(path: lastPath, monitor: config.monitor, saveBestOnly: false, includeOptimizer: true, metadata: meta)
        let scheduler = try LearningRateScheduler(schedule)
        var callbacks: [Callback] = [scheduler, TerminateOnNaN(), InterruptCallback(), ProgressBar(), best, last,
                                     CSVLogger(url: folder.file("history.csv"), append: resuming)]
        if let patience = config.earlyStoppingPatience { callbacks.append(try EarlyStopping(monitor: config.monitor, mode: options.mode, patience: patience)) }

        var initialEpoch = 0
        if resuming {
            initialEpoch = try Checkpointing.resume(model: model, optimizer: optimizer, from: lastPath)
            guard initialEpoch < config.epochs else { throw ValidationFailure("the run in \(folder.url.path) already finished its \(config.epochs) epochs") }
            say("Resuming \(folder.url.path) at epoch \(initialEpoch + 1) of \(config.epochs)")
        }
        say("Training \(model.layerDescription) (\(model.parameterCount.formatted()) parameters) on \(classes.joined(separator: ", ")) for \(config.epochs) epochs, \(Device.default.threads) threads")
        installInterruptHandler()
        let history = try Trainer.fit(model, train: prepared.train, validation: prepared.validation, epochs: config.epochs,
                                      optimizer: optimizer, callbacks: callbacks, initialEpoch: initialEpoch)
        if let reason = history.stopReason {
            say("Stopped early: \(reason). Resume with: petal train --resume \(folder.url.path)")
        }

        // The report describes the best checkpoint, evaluated again on the validation split.
        let bestModel = try modelOptions.make(classes: classes.count, seed: 0)
        let evaluation: Evaluation?
        if FileManager.default.fileExists(atPath: bestPath) {
            try bestModel.load(from: URL(fileURLWithPath: bestPath))
            evaluation = try evaluate(bestModel, on: prepared.validation)
            try folder.writeJSON(EvaluationSummary(evaluation!, classes: classes), to: "evaluation.json")
        } else {
            evaluation = nil
        }
        if !options.noReport {
            try ReportInputs.write(folder: folder, prepared: prepared, model: bestModel, evaluated: evaluation != nil)
            try RunReport(folder: folder).write()
            say("Report: \(folder.file("report.html").path)")
        }
        say("Run folder: \(folder.url.path)")
    }
}

/// The numbers `evaluation.json` holds.
struct EvaluationSummary: Codable {
    struct Curve: Codable { var name: String; var fpr: [Double]; var tpr: [Double]; var auc: Double? }
    var classes: [String]
    var count: Int
    var loss: Double
    var accuracy: Double
    var auc: Double?
    var confusionMatrix: [[Int]]
    var precision: [Double], recall: [Double], f1: [Double]
    /// ROC curves: the positive class's for two classes, one-vs-rest per class otherwise.
    var rocCurves: [Curve]

    init(_ e: Evaluation, classes: [String]) {
        let r = e.report
        (self.classes, count, loss, accuracy, auc, confusionMatrix, precision, recall, f1)
            = (classes, e.count, e.loss, e.accuracy, e.auc, r.matrix, r.precision, r.recall, r.f1)
        let c = e.classCount
        let shown = c == 2 ? [1] : Array(0..<c)
        rocCurves = shown.map { k in
            let scores = (0..<e.count).map { e.probabilities[$0 * c + k] }, positives = e.labels.map { $0 == k }
            let points = ROC.curve(scores: scores, positives: positives)
            return Curve(name: c == 2 ? "\(classes[k]) vs \(classes[1 - k])" : "\(classes[k]) vs rest",
                         fpr: points.map(\.fpr), tpr: points.map(\.tpr), auc: ROC.auc(scores: scores, positives: positives))
        }
    }
}

extension MonitorMode: ExpressibleByArgument {}
