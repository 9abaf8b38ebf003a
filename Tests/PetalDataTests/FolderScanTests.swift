// Listing and scanning: class order, hidden files, links, bad files reported by path, sizes, small images,
// duplicates, and the errors that must stop a run before training.
import Foundation
import PetalTestSupport
import Testing
import PetalImage
@testable import PetalData

@Suite struct FolderScanTests {
    @Test func classesAreSortedOrChosenAndFilesAreSortedWithoutHiddenOnes() throws {
        let set = try TestDataSet()
        try set.image("rose/b.png", red: 1)
        try set.image("rose/a.png", red: 2)
        try set.image("rose/.hidden.png", red: 3)
        try set.image("daisy/z.png", red: 4)
        try set.image("tulip/x.png", red: 5)
        try set.image(".cache/x.png", red: 6)
        let all = try ImageFolder(root: URL(fileURLWithPath: set.root))
        #expect(all.classes == ["daisy", "rose", "tulip"])
        #expect(all.files == [["daisy/z.png"], ["rose/a.png", "rose/b.png"], ["tulip/x.png"]])
        let chosen = try ImageFolder(root: URL(fileURLWithPath: set.root + "/"), classes: ["tulip", "daisy"])
        #expect(chosen.classes == ["tulip", "daisy"])
        #expect(chosen.files == [["tulip/x.png"], ["daisy/z.png"]])
        #expect(chosen.root.path == set.root, "the trailing slash is dropped")
    }

    @Test func symbolicLinksAreFollowedButNestedFoldersAreNotSearched() throws {
        let set = try TestDataSet()
        try set.image("store/flower.png", red: 9)
        try set.image("a/one.png", red: 1)
        try set.folder("a/nested")
        try set.image("a/nested/deep.png", red: 2)
        try FileManager.default.createSymbolicLink(atPath: set.root + "/a/linked.png", withDestinationPath: set.root + "/store/flower.png")
        try FileManager.default.createSymbolicLink(atPath: set.root + "/b", withDestinationPath: set.root + "/store")
        // A link back to the class folder itself must not loop.
        try FileManager.default.createSymbolicLink(atPath: set.root + "/a/loop", withDestinationPath: set.root + "/a")
        let folder = try ImageFolder(root: URL(fileURLWithPath: set.root), classes: ["a", "b"])
        #expect(folder.files == [["a/linked.png", "a/one.png"], ["b/flower.png"]])
        #expect(folder.nestedFolders == ["a/loop", "a/nested"])
        let report = folder.inspect(config: testConfig())
        #expect(report.classes[0].usable == ["a/linked.png", "a/one.png"])
        // The linked file and its target are the same bytes under two labels.
        #expect(report.duplicates.map(\.paths) == [["a/linked.png", "b/flower.png"]])
        #expect(report.duplicates[0].acrossClasses)
    }

    @Test func unknownClassMissingRootAndEmptyFoldersAreClearErrors() throws {
        let set = try TestDataSet.twoClasses(a: 2, b: 2)
        #expect(throws: DataError.unknownClass(name: "tulip", root: set.root, available: ["a", "b"])) {
            try ImageFolder(root: URL(fileURLWithPath: set.root), classes: ["a", "tulip"])
        }
        let missing = set.root + "/nowhere"
        #expect(throws: DataError.rootNotFound(path: missing)) { try ImageFolder(root: URL(fileURLWithPath: missing)) }
        try set.folder("c")
        #expect(throws: DataError.emptyClass(name: "c", path: set.root + "/c", reason: "the folder holds no files")) {
            try ImageFolder(root: URL(fileURLWithPath: set.root))
        }
        let message = DataError.unknownClass(name: "tulip", root: set.root, available: ["a", "b"]).localizedDescription
        #expect(message == "\(set.root): no folder for class 'tulip'; available classes: a, b")
        let empty = try TestDataSet()
        #expect(throws: DataError.noClassFolders(root: empty.root)) { try ImageFolder(root: URL(fileURLWithPath: empty.root)) }
    }

    @Test func corruptEmptyAndNonImageFilesAreReportedByPathAndSkipped() throws {
        let set = try TestDataSet.twoClasses(a: 3, b: 3)
        let good = try ByteImage(height: 12, width: 12, channels: 3, repeating: 50).encoded(as: .png)
        try set.bytes("a/truncated.png", Array(good.prefix(good.count / 2)))
        try set.bytes("a/zero.jpg", [])
        try set.bytes("b/notes.txt", Array("not a picture".utf8))
        try set.bytes("b/garbage.jpg", [0xFF, 0xD8, 0xFF, 0xE0] + [UInt8](repeating: 7, count: 100))
        let report = try ImageFolder(root: URL(fileURLWithPath: set.root)).inspect(config: testConfig())
        #expect(report.classes.map(\.usable.count) == [3, 3])
        #expect(report.classes[0].unreadable.map(\.path) == ["a/truncated.png", "a/zero.jpg"])
        #expect(report.classes[1].unreadable.map(\.path) == ["b/garbage.jpg", "b/notes.txt"])
        #expect(report.classes[0].unreadable[1].reason == "the file is empty (0 bytes)")
        #expect(report.details.contains("\n  unreadable: a/zero.jpg: the file is empty (0 bytes)\n"))
        #expect(report.classes[1].unreadable[1].reason.contains("looks like text"))
        #expect(report.warnings.count == 4)
        #expect(report.warnings[0].hasPrefix("warning: skipping \(set.root)/a/truncated.png: "))

        // The pipeline warns once per file and trains on the rest; strict mode refuses.
        let log = LogLines()
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: testConfig(batchSize: 2), log: log.append)
        #expect(log.lines.filter { $0.hasPrefix("warning: skipping") }.count == 4)
        #expect(data.train.samples.count + data.validation.samples.count == 6)
        var strict = testConfig(batchSize: 2)
        strict.strict = true
        #expect(throws: DataError.self) { try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: strict, log: { _ in }) }
        do {
            _ = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: strict, log: { _ in })
        } catch let DataError.rejectedFiles(count, first) {
            #expect(count == 4)
            #expect(first[0].hasPrefix(set.root + "/a/truncated.png: "))
        }
    }

    @Test func aClassWithNoUsableImageStopsThePipeline() throws {
        let set = try TestDataSet.twoClasses(a: 3, b: 0)
        try set.bytes("b/broken.png", [1, 2, 3])
        try set.image("b/tiny.png", height: 4, width: 4, red: 1)
        #expect(throws: DataError.emptyClass(name: "b", path: set.root + "/b", reason: "2 file(s): 1 unreadable, 1 smaller than the 8×8 crop")) {
            try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: testConfig(batchSize: 2), log: { _ in })
        }
    }

    @Test func aClassLeftWithoutTrainingImagesBySplittingStopsThePipeline() throws {
        let set = try TestDataSet.twoClasses(a: 6, b: 1)
        #expect(throws: DataError.emptyClass(name: "b", path: set.root + "/b",
                                             reason: "no training images after the split (1 usable, validation fraction 0.2)")) {
            try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: testConfig(batchSize: 2), log: { _ in })
        }
        let two = try TestDataSet.twoClasses(a: 6, b: 2)
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: two.root), config: testConfig(batchSize: 2), log: { _ in })
        #expect(data.split.trainCounts == [4, 1] && data.split.validationCounts == [2, 1])
    }

    @Test func sizesAndImagesSmallerThanTheCropAreReported() throws {
        let set = try TestDataSet()
        try set.image("a/big1.png", height: 12, width: 16, red: 1)
        try set.image("a/big2.png", height: 12, width: 16, red: 2)
        try set.image("a/square.png", height: 10, width: 10, red: 3)
        try set.image("a/short.png", height: 6, width: 20, red: 4)
        let report = try ImageFolder(root: URL(fileURLWithPath: set.root)).inspect(config: testConfig())
        let a = report.classes[0]
        #expect(a.sizes == [ImageSizeCount(height: 12, width: 16, count: 2), ImageSizeCount(height: 6, width: 20, count: 1),
                            ImageSizeCount(height: 10, width: 10, count: 1)])
        #expect(a.smallerThanCrop == ["a/short.png"])
        #expect(a.usable == ["a/big1.png", "a/big2.png", "a/square.png"])
        #expect(report.skipped.map(\.path) == ["a/short.png"])
        #expect(report.details.hasSuffix("\n  smaller than 8×8 (skipped): a/short.png"))
        var pad = testConfig()
        pad.smallImages = .pad
        #expect(try ImageFolder(root: URL(fileURLWithPath: set.root)).inspect(config: pad).classes[0].usable.count == 4)
    }

    @Test func duplicatesAcrossClassesAndAcrossTheSplitAreReported() throws {
        let set = try TestDataSet.twoClasses(a: 10, b: 10)
        try set.copy("a/img003.png", "b/copy-of-a3.png")     // one picture, two labels
        try set.copy("b/img000.png", "b/zz-again.png")       // sorted first and last in b: split apart below
        try set.copy("a/img001.png", "a/img001-again.png")   // next to each other: same side
        let log = LogLines()
        var config = testConfig(batchSize: 2)
        config.validationFraction = 0.25
        config.splitOrder = .sequential                      // b: 9 train (…img007) + 3 validation (img008, img009, zz-again)
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: log.append)
        let groups = data.report.duplicates
        #expect(groups.map(\.paths) == [["a/img001-again.png", "a/img001.png"], ["a/img003.png", "b/copy-of-a3.png"],
                                        ["b/img000.png", "b/zz-again.png"]])
        #expect(groups.map(\.acrossClasses) == [false, true, false])
        #expect(groups.map(\.acrossSplit) == [false, false, true])
        #expect(data.report.leaks.map(\.paths[0]) == ["a/img003.png", "b/img000.png"])
        #expect(log.lines.contains { $0.contains("3 group(s) of identical files: 1 across classes, 1 across the train/validation split") })
        #expect(log.lines.contains { $0.contains("leak: a/img003.png = b/copy-of-a3.png (different classes)") })
        #expect(log.lines.contains { $0.contains("leak: b/img000.png = b/zz-again.png (both sides of the split)") })
        // The report is saved with a run: it must survive JSON.
        let json = try JSONEncoder().encode(data.report)
        #expect(try JSONDecoder().decode(ScanReport.self, from: json) == data.report)
    }

    @Test func classWeightsAreInverseFrequency() throws {
        #expect(ScanReport.balancedClassWeights(counts: [30, 10]) == [40 / 60, 40 / 20])
        let set = try TestDataSet.twoClasses(a: 6, b: 2)
        let report = try ImageFolder(root: URL(fileURLWithPath: set.root)).inspect(config: testConfig())
        #expect(report.summary.contains("classes are imbalanced (2 to 6 images)"))
    }
}
