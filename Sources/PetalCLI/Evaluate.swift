import ArgumentParser
import Foundation
import Petal

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint on a data set: loss, accuracy, ROC AUC, confusion matrix and per-class scores.",
        discussion: "When the checkpoint sits in a run folder and --all is not given, the run's validation split is used, so the figures match training.")

    @Argument(help: "A checkpoint written by petal train (e.g. runs/…/best.safetensors).")
    var checkpoint: String

    @Argument(help: "Folder with one sub-folder per class (default: the bundled flowers demo).")
    var dataDir: String?

    @Flag(help: "Evaluate every image of the folder instead of the run's validation split.")
    var all = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        try runReportingErrors {
            let loaded = try LoadedModel(checkpoint: checkpoint)
            var config = loaded.data
            config.classes = loaded.metadata.classNames
            config.augmentation = nil
            config.appendAugmentedCopy = false
            if all { config.validationFraction = 1; config.perClassLimit = nil; config.validationPerClassLimit = nil }
            let prepared = try DataPipeline.prepare(root: dataDir ?? bundledDemoFolder(), config: config,
                                                    splitFile: all ? nil : loaded.splitFile, log: { _ in })
            let e = try evaluate(loaded.model, on: prepared.validation)
            let summary = EvaluationSummary(e, classes: loaded.metadata.classNames)
            if json {
                say(String(decoding: try prettyJSON(summary), as: UTF8.self))
                return
            }
            say("\(e.count) images · loss \(String(format: "%.4f", e.loss)) · accuracy \(String(format: "%.4f", e.accuracy)) · AUC \(e.auc.map { String(format: "%.4f", $0) } ?? "undefined (one class only)")")
            let names = loaded.metadata.classNames
            let w = max(names.map(\.count).max() ?? 5, 9)
            say("\("class".padding(toLength: w, withPad: " ", startingAt: 0))  precision  recall  f1      support")
            for (i, n) in names.enumerated() {
                say(n.padding(toLength: w, withPad: " ", startingAt: 0) + String(format: "  %.4f     %.4f  %.4f  %d", summary.precision[i], summary.recall[i], summary.f1[i], e.report.support[i]))
            }
            say("confusion matrix (rows: true, columns: predicted): \(summary.confusionMatrix)")
        }
    }
}
