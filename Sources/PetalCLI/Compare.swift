import ArgumentParser
import Foundation
import Petal

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare finished runs: their recipes, best validation figures and per-epoch curves, drawn in the first run's report.",
        discussion: "Writes comparison.json into the first run folder and rebuilds its report.html, which then has a section with every run's curves on shared axes and says whether the runs were validated on the same images. `make demo` compares the tutorial's recipe with the default one this way.")

    @Argument(help: "Run folders, at least two; the first one's report shows the comparison.")
    var runs: [String] = []

    func validate() throws {
        guard runs.count >= 2 else { throw ValidationError("give at least two run folders, got \(runs.count)") }
    }

    func run() throws {
        try runReportingErrors {
            let comparison = try RunComparison(runs: runs.map { URL(fileURLWithPath: $0) })
            let folder = try RunFolder.open(URL(fileURLWithPath: runs[0]))
            try comparison.write(into: folder)
            let table = comparison.table
            say(table.header.joined(separator: " · "))
            for row in table.rows { say(row.joined(separator: " · ")) }
            if !comparison.sameValidationImages { warn("warning: the runs were not validated on the same images") }
            say("Report: \(folder.file(RunFiles.report).path)")
        }
    }
}
