import ArgumentParser
import Foundation
import Petal

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a checkpoint on a data set: loss, accuracy, ROC AUC, confusion matrix and per-class scores.",
        discussion: "When the checkpoint sits in a run folder and --all is not given, the run's validation split is used, so the figures match training; otherwise every usable image of the folder is evaluated.")

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
            let trained = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint))
            let s = try trained.evaluate(on: dataDir ?? bundledDemoFolder(), allImages: all, log: { warn($0) })
            if json {
                say(String(decoding: try RunJSON.encode(s), as: UTF8.self))
                return
            }
            say("\(s.count) images · loss \(String(format: "%.4f", s.loss)) · accuracy \(String(format: "%.4f", s.accuracy)) · AUC \(s.auc.map { String(format: "%.4f", $0) } ?? "undefined (one class only)")")
            let w = max(s.classes.map(\.count).max() ?? 5, 9)
            say("\("class".padding(toLength: w, withPad: " ", startingAt: 0))  precision  recall  f1      support")
            for (i, n) in s.classes.enumerated() {
                say(n.padding(toLength: w, withPad: " ", startingAt: 0) + String(format: "  %.4f     %.4f  %.4f  %d", s.precision[i], s.recall[i], s.f1[i], s.support[i]))
            }
            say("confusion matrix (rows: true, columns: predicted): \(s.confusionMatrix)")
        }
    }
}
