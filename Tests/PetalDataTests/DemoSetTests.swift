// The bundled flowers demo set (100 daisy + 100 rose JPEGs, 320 px wide): it scans clean and loads in full
// batches with the tutorial's settings. Skipped where the data set is not present.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalData

/// `Data/flowers-mini` in the package, else the team's shared copy next to the checkout.
let demoSetRoot: String? = {
    let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [package.appendingPathComponent("Data/flowers-mini").path,
                      package.appendingPathComponent("../shared/datasets/flowers-mini").standardizedFileURL.path]
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/daisy") && FileManager.default.fileExists(atPath: $0 + "/rose") }
}()

@Suite(.enabled(if: demoSetRoot != nil, "the flowers demo set is not present"))
struct DemoSetTests {
    @Test func theDemoSetScansCleanAndLoadsInFullBatches() throws {
        let root = try #require(demoSetRoot)
        let log = LogLines()
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: root), config: DataConfig(classes: ["daisy", "rose"]), log: log.append)
        #expect(data.report.classes.map(\.fileCount) == [100, 100])
        #expect(data.report.skipped.isEmpty && data.report.duplicates.isEmpty)
        #expect(data.report.classes.allSatisfy { $0.sizes.allSatisfy { $0.width == 320 || $0.height == 320 } })
        #expect(data.split.trainCounts == [80, 80] && data.split.validationCounts == [20, 20])
        #expect(data.cache.count == 200)
        let batches = Array(try data.train.batches(epoch: 0))
        #expect(batches.count == 5 && batches.allSatisfy { $0.images.shape == [32, 3, 100, 100] })
        #expect(batches.flatMap(\.labels).filter { $0 == 1 }.count == 80)
        let validation = Array(try data.validation.batches(epoch: 0))
        #expect(validation.map(\.count) == [32, 8])
        let values = batches[0].images.scalars
        #expect(values.min()! >= 0 && values.max()! <= 1 && values.max()! > 0.5)
        #expect(log.lines.last!.contains("training [80, 80] = 160 images, validation [20, 20] = 40"))
    }

    @Test func theTutorialsSequentialSplitTakesTheFirstEightyPercent() throws {
        let root = try #require(demoSetRoot)
        let folder = try ImageFolder(root: URL(fileURLWithPath: root), classes: ["rose", "daisy"])
        let split = DataSplit(files: folder.files, classes: folder.classes, validationFraction: 0.2, order: .sequential, seed: 0)
        #expect(split.train[1] == Array(folder.files[1][..<80]) && split.validation[1] == Array(folder.files[1][80...]))
        #expect(folder.files[1][0] == "daisy/10172379554_b296050f82_n.jpg")
    }
}
