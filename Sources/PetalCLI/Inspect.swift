import ArgumentParser
import Foundation
import Petal

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan a data set: images per class, sizes, unreadable files, images smaller than the crop, duplicates and leakage.",
        discussion: "The scan is always shown; when the data set cannot be trained on as configured (a class too small to split, say), the reason follows on standard error and the exit status is 1.")

    @OptionGroup var data: DataOptions

    @Flag(help: "Print the full scan as JSON.")
    var json = false

    func run() throws {
        try runReportingErrors {
            var config = try data.config()
            config.dropLast = false
            // What the folder holds, whether or not it can be trained on: the diagnostic always shows what it found.
            let scan = try ImageFolder(root: data.root, classes: config.classes).inspect(config: config)
            let prepared = Result { try DataPipeline.prepare(root: data.root, config: config, log: { _ in }) }
            let report = (try? prepared.get())?.report ?? scan  // with the split's leakage marked when there is one
            say(json ? String(decoding: try RunJSON.encode(report), as: UTF8.self) : report.details)
            if case .failure(let error) = prepared { throw error }
        }
    }
}
