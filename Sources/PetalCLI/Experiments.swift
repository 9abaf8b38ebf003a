import ArgumentParser
import Foundation
import Petal

struct SweepLR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep-lr",
        abstract: "Train a fresh model per learning rate (the tutorial's 0.1 / 0.01 / 0.001 tuning loop) and compare their loss, accuracy and validation AUC.")

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "Learning rates to try, comma-separated.")
    var rates = "0.1,0.01,0.001"

    @Option(help: "Epochs per rate.")
    var epochs = 3

    @Option(help: "Folder to write sweep.csv and sweep.svg into; a run folder's report then shows the sweep (default: a new folder under runs).")
    var output: String?

    func run() throws {
        try runReportingErrors {
            let list = try rates.split(separator: ",").map { s -> Float in
                guard let v = Float(s.trimmingCharacters(in: .whitespaces)), v > 0, v.isFinite else { throw ValidationFailure("--rates: '\(s)' is not a positive number") }
                return v
            }
            let configuration = try runConfiguration(data: data, model: model, optimizer: optimizer, epochs: epochs, run: .sweep)
            let folder = try outputFolder(output, name: "sweep-lr")
            let results = try RunExperiments.sweepLearningRates(list, configuration: configuration, into: folder,
                                                                callbacks: { _ in [ProgressBar()] }, log: { say($0) })
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
    @Option(help: "Folder to write lr-finder.csv and lr-finder.svg into (default: a new folder under runs).") var output: String?

    func run() throws {
        try runReportingErrors {
            let configuration = try runConfiguration(data: data, model: model, optimizer: optimizer, epochs: 1)
            let folder = try outputFolder(output, name: "find-lr")
            let result = try RunExperiments.findLearningRate(configuration: configuration, start: start, end: end, steps: steps,
                                                             into: folder, log: { say($0) })
            say("Tried \(result.rates.count) rates from \(start) to \(result.rates.last ?? end).")
            say("Suggested learning rate (steepest fall): \(result.suggestion.map { String(format: "%.3g", $0) } ?? "none — the loss never fell")")
            say("Plot: \(folder.file("lr-finder.svg").path)")
        }
    }
}

struct Overfit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sanity check: train on a few images per class until the model memorises them (loss falls, accuracy reaches 100%).",
        discussion: "The verdict reads the best epoch. With --recipe tutorial it trains as the notebook's check did: Keras' 'SGD' (0.01, constant, no clipping).")

    @OptionGroup var data: DataOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var optimizer: OptimizerOptions

    @Option(help: "Images per class.") var images = 20
    @Option(help: "Epochs.") var epochs = 30
    @Option(help: "Folder to write overfit.csv, overfit.svg and overfit.json into; a run folder's report then shows the check (default: a new folder under runs).")
    var output: String?

    func run() throws {
        try runReportingErrors {
            let configuration = try runConfiguration(data: data, model: model, optimizer: optimizer, epochs: epochs, run: .check)
            let folder = try outputFolder(output, name: "overfit")
            let report = try RunExperiments.overfit(configuration: configuration, images: images, epochs: epochs, into: folder,
                                                    callbacks: [ProgressBar()], log: { say($0) })
            say(report.summary)
            say("Curves: \(folder.file(OverfitFiles.curves).path)")
            if !report.passed { throw ExitCode.failure }
        }
    }
}
