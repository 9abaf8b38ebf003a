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

    @Flag(help: "Test-time augmentation: average each image's probabilities with its mirror image's.")
    var tta = false

    @Option(help: "Also list the N images with the highest loss (fastai's top losses: the most confidently wrong first, then the least confident right answers, marked ✗ when wrong).")
    var topLosses: Int?

    /// One of the images with the highest loss.
    struct TopLoss: Encodable { var path: String; var truth: String; var predicted: String; var probability: Double; var loss: Double }

    func run() throws {
        try runReportingErrors {
            if let n = topLosses, n < 1 { throw ValidationFailure("--top-losses must be at least 1, got \(n)") }
            let trained = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint))
            let (evaluation, images) = try trained.evaluation(on: dataDir.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? bundledDemoFolder(), allImages: all, flipAveraging: tta, log: { warn($0) })
            let s = EvaluationSummary(evaluation, classes: trained.classNames)
            let worst = TopLosses.rank(evaluation, count: topLosses ?? 0).map { t in
                TopLoss(path: FileSystem.printable(images[t.index].path), truth: s.classes[evaluation.labels[t.index]], predicted: s.classes[t.predicted],
                        probability: t.probability, loss: t.loss)
            }
            if json {
                struct WithTopLosses: Encodable { var evaluation: EvaluationSummary; var topLosses: [TopLoss] }
                say(String(decoding: topLosses == nil ? try RunJSON.encode(s) : try RunJSON.encode(WithTopLosses(evaluation: s, topLosses: worst)), as: UTF8.self))
                return
            }
            say(s.details)
            if !worst.isEmpty {
                say("highest losses (true → predicted, ✗ when wrong, probability of the prediction, loss):")
                for t in worst {
                    say("  \(t.path)  \(t.truth) → \(t.predicted)\(t.truth == t.predicted ? "  " : " ✗")  \(String(format: "%.3f  loss %.3f", t.probability, t.loss))")
                }
            }
        }
    }
}
