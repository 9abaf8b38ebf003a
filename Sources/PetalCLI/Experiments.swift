import ArgumentParser
import Foundation
import Petal

struct SweepLR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-lr",
        abstract: "Train a fresh model per learning rate (the tutorial's 0.1 / 0.01 / 0.001 tuning loop) and compare their losses.")

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "Learning rates to try, comma-separated.")
    var rates = "0.1,0.01,0.001"

    @Option(help: "Epochs per rate.")
    var epochs = 3

    @Option(help: "Folder to write sweep.csv and sweep.svg into (default: a new run folder).")
    var output: String?

    func run() throws {
        try runReportingErrors {
            let list = try rates.split(separator: ",").map { s -> Float in
                guard let v = Float(s.trimmingCharacters(in: .whitespaces)), v > 0 else { throw ValidationFailure("--rates: '\(s)' is not a positive number") }
                return v
            }
            _ = try model.depth()
            try optimizer.validateNames()
            let prepared = try DataPipeline.prepare(root: data.root, config: data.config(), log: { say($0) })
            let classes = prepared.train.classCount
            let folder = try RunFolder(parent: "runs", name: "sweep-lr", path: output)
            let results = try sweepLearningRates(list, epochs: epochs, makeModel: { try model.make(classes: classes, seed: data.seed) },
                                                 makeOptimizer: { m, lr in try optimizer.make(m, learningRate: lr) },
                                                 train: prepared.train, validation: prepared.validation,
                                                 callbacks: { lr in say("— learning rate \(lr)"); return [ProgressBar()] })
            var csv = "learning_rate,epoch,loss,accuracy,val_loss,val_accuracy,val_auc\n"
            for r in results {
                for (i, logs) in r.history.epochs.enumerated() {
                    csv += "\(r.learningRate),\(i + 1)," + ["loss", "accuracy", "val_loss", "val_accuracy", "val_auc"].map { logs[$0].map { String($0) } ?? "" }.joined(separator: ",") + "\n"
                }
            }
            try AtomicFile.write(Data(csv.utf8), to: folder.file("sweep.csv"))
            try ReportFigures.sweep(results).write(to: folder.file("sweep.svg"))
            // A sweep written into a training run's folder joins its report.
            if FileManager.default.fileExists(atPath: folder.file("report.html").path) { try RunReport(folder: folder).write() }
            for r in results {
                say(String(format: "lr %-8g final loss %.4f · val_loss %.4f · val_auc %.4f", r.learningRate,
                           r.history.values("loss").last ?? .nan, r.history.values("val_loss").last ?? .nan, r.history.values("val_auc").last ?? .nan))
            }
            say("Sweep: \(folder.file("sweep.csv").path)")
        }
    }
}

struct FindLR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find-lr",
        abstract: "Learning-rate range test (fastai's lr_find): one pass with an exponentially rising rate; suggests a rate.")

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "Smallest rate.") var start: Float = 1e-6
    @Option(help: "Largest rate.") var end: Float = 10
    @Option(help: "Steps (batches).") var steps = 60
    @Option(help: "Folder to write lr-finder.svg into (default: a new run folder).") var output: String?

    func run() throws {
        try runReportingErrors {
            let prepared = try DataPipeline.prepare(root: data.root, config: data.config(), log: { say($0) })
            let m = try model.make(classes: prepared.train.classCount, seed: data.seed)
            let result = try findLearningRate(m, optimizer: try optimizer.make(m, learningRate: start), train: prepared.train,
                                              start: start, end: end, steps: steps)
            let folder = try RunFolder(parent: "runs", name: "find-lr", path: output)
            try ReportFigures.finder(result).write(to: folder.file("lr-finder.svg"))
            let csv = "learning_rate,smoothed_loss\n" + zip(result.rates, result.losses).map { "\($0),\($1)" }.joined(separator: "\n") + "\n"
            try AtomicFile.write(Data(csv.utf8), to: folder.file("lr-finder.csv"))
            if FileManager.default.fileExists(atPath: folder.file("report.html").path) { try RunReport(folder: folder).write() }
            say("Tried \(result.rates.count) rates from \(start) to \(result.rates.last ?? end).")
            say("Suggested learning rate (steepest fall): \(result.suggestion.map { String(format: "%.3g", $0) } ?? "none — the loss never fell")")
            say("Plot: \(folder.file("lr-finder.svg").path)")
        }
    }
}

struct Overfit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sanity check: train on a few images per class until the model memorises them (loss falls, accuracy reaches 100%).")

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "Images per class.") var images = 20
    @Option(help: "Epochs.") var epochs = 30

    func run() throws {
        try runReportingErrors {
            var config = data.config()
            config.perClassLimit = images
            config.augmentation = nil
            config.appendAugmentedCopy = false
            config.batchSize = min(config.batchSize, images * max(config.classes?.count ?? 2, 1))
            let prepared = try DataPipeline.prepare(root: data.root, config: config, log: { say($0) })
            let m = try model.make(classes: prepared.train.classCount, seed: data.seed)
            let report = try overfitCheck(m, optimizer: try optimizer.make(m), subset: prepared.train, epochs: epochs, callbacks: [ProgressBar()])
            say(report.summary)
            if !report.passed { throw ExitCode.failure }
        }
    }
}
