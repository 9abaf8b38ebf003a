import ArgumentParser
import Foundation
import Petal

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a run's best checkpoint again and rebuild its evaluation.json and report.html.",
        discussion: "Works on a finished run and on one that was stopped (the report then shows its epochs so far); the run's split, settings and data set are read from its folder, as --resume reads them. A finished run whose report was never written (cut while writing it) is completed the same way by `petal train --resume`.")

    @Argument(help: "The run folder.")
    var runDir: String

    @Option(help: "The data set's folder, when it moved since the run began.")
    var data: String?

    @Option(help: "Compute threads (default: the count the run began with).")
    var threads: Int?

    @Flag(help: "Evaluate without the images of the run's split that were deleted or damaged since it began (each is named), instead of refusing.")
    var skipMissingFiles = false

    func run() throws {
        try runReportingErrors {
            try applyThreads(threads)
            let folder = try RunFolder.open(URL(fileURLWithPath: runDir))
            let training = try TrainingRun(resuming: folder, dataDirectory: data.map { URL(fileURLWithPath: $0, isDirectory: true) }, threads: threads,
                                           skipMissingFiles: skipMissingFiles)
            guard let evaluation = try training.writeReport(log: { say($0) }) else {
                throw ValidationFailure("\(runDir) has no \(RunFiles.best) yet: no epoch has finished, so there is no model to report on")
            }
            say(String(format: "Best model on validation: accuracy %.4f · ROC AUC %@ (%d images)", evaluation.accuracy,
                       evaluation.auc.map { String(format: "%.4f", $0) } ?? "undefined", evaluation.count))
        }
    }
}
