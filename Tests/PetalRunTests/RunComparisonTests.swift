// Runs side by side: recipes, best figures and curves gathered from the run folders, whether they share their
// validation images, and the report section drawn from comparison.json.
import Foundation
import Testing
@testable import PetalRun

@Suite struct RunComparisonTests {
    @Test func runsAreGatheredAndDrawnInTheFirstRunsReport() throws {
        let dir = try RunFixtures.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        func train(_ name: String, recipe: Recipe, seed: UInt64 = 7) throws -> URL {
            var c = RunFixtures.configuration(data: dir.appendingPathComponent("data"), epochs: 2)
            (c.recipe, c.optimizer, c.schedule, c.data.seed) = (recipe, recipe.optimizer, recipe.schedule, seed)
            let folder = try RunFolder.create(at: dir.appendingPathComponent(name))
            _ = try TrainingRun(configuration: c, folder: folder).run(writeReport: name == "a", log: { _ in })
            return folder.url
        }
        let a = try train("a", recipe: .tutorial), b = try train("b", recipe: .standard), other = try train("c", recipe: .standard, seed: 8)

        let comparison = try RunComparison(runs: [a, b])
        #expect(comparison.entries.map(\.name) == ["a", "b"] && comparison.entries.map(\.recipe) == ["tutorial", "standard"])
        #expect(comparison.sameValidationImages, "one seed, one split")
        #expect(comparison.entries.allSatisfy { $0.history["val_auc"]?.count == 2 && $0.evaluation != nil })
        #expect(try comparison.charts().map(\.title) == ["Validation ROC AUC", "Validation accuracy", "Validation loss", "Training loss"])
        #expect(comparison.table.rows.map(\.count) == [6, 6])
        #expect(!(try RunComparison(runs: [a, other])).sameValidationImages, "another seed draws another split")

        try comparison.write(into: RunFolder.open(a))
        let report = try String(contentsOf: a.appendingPathComponent(RunFiles.report), encoding: .utf8)
        #expect(report.contains("Comparison with other runs") && report.contains("validated on the same images"))
        #expect(throws: RunError.self) { try RunComparison(runs: [a]) }
        #expect(throws: RunError.self) { try RunComparison(runs: [a, dir.appendingPathComponent("data")]) }
        // A damaged file is named, with what is wrong with it (issue 31, item 20).
        for (file, text) in [(RunFiles.evaluation, "{\"accuracy\": \"high\"}"), (RunFiles.split, "not json"), (RunFiles.configuration, "{}")] {
            let saved = try Data(contentsOf: b.appendingPathComponent(file))
            try Data(text.utf8).write(to: b.appendingPathComponent(file))
            do { _ = try RunComparison(runs: [a, b]); Issue.record("a damaged \(file) was used") } catch let RunError.folder(path, reason) {
                #expect(path == b.path && reason.hasPrefix("\(file) cannot be used: "), "\(reason)")
            }
            try saved.write(to: b.appendingPathComponent(file))
        }
    }
}
