// Splits: disjoint and complete per class, the same for a seed and different for another, the tutorial's
// sequential order, per-class limits, and a JSON round trip that a later run can reuse.
import Foundation
import PetalTestSupport
import Synchronization
import Testing
@testable import PetalData

@Suite struct SplitTests {
    let files = [(0..<50).map { "a/\($0).png" }, (0..<23).map { "b/\($0).png" }]

    @Test func eachClassIsSplitDisjointlyAndCompletely() {
        let split = DataSplit(files: files, classes: ["a", "b"], validationFraction: 0.2, order: .shuffled, seed: 7)
        #expect(split.trainCounts == [40, 18])
        #expect(split.validationCounts == [10, 5])
        for label in 0..<2 {
            let train = Set(split.train[label]), validation = Set(split.validation[label])
            #expect(train.isDisjoint(with: validation))
            #expect(train.union(validation) == Set(files[label]))
        }
        // A shuffle: not simply the first 80 %.
        #expect(split.train[0] != Array(files[0].prefix(40)))
    }

    @Test func theSameSeedGivesTheSameSplitAndAnotherSeedAnother() {
        let one = DataSplit(files: files, classes: ["a", "b"], validationFraction: 0.2, order: .shuffled, seed: 7)
        let two = DataSplit(files: files, classes: ["a", "b"], validationFraction: 0.2, order: .shuffled, seed: 7)
        let other = DataSplit(files: files, classes: ["a", "b"], validationFraction: 0.2, order: .shuffled, seed: 8)
        #expect(one == two)
        #expect(Set(one.validation[0]) != Set(other.validation[0]))
    }

    @Test func splitsAndEpochOrdersArePinnedAcrossMachinesAndReleases() {
        // Frozen values: a split or an epoch order must never change with the standard library or the platform,
        // or a saved run could not be reproduced.
        let split = DataSplit(files: [(0..<10).map { "\($0)" }], classes: ["a"], validationFraction: 0.3, order: .shuffled, seed: 42)
        #expect(split.train[0] + split.validation[0] == ["4", "8", "0", "9", "7", "6", "1", "5", "2", "3"])
        var g = SeededDraws.generator(seed: 42, .epochOrder, 3)
        var order = Array(0..<10)
        SeededDraws.shuffle(&order, using: &g)
        #expect(order == [9, 4, 6, 5, 8, 2, 1, 7, 0, 3])
        #expect(split.validation[0].count == 3)
    }

    @Test func sequentialOrderIsTheTutorialsFirstAndLastPart() {
        let split = DataSplit(files: files, classes: ["a", "b"], validationFraction: 0.2, order: .sequential, seed: 7)
        #expect(split.train[0] == Array(files[0][..<40]))
        #expect(split.validation[0] == Array(files[0][40...]))
        #expect(split.train[1] == Array(files[1][..<18]))
        #expect(DataSplit.trainingCount(100, validationFraction: 0.2) == 80)
        #expect(DataSplit.trainingCount(10, validationFraction: 0.3) == 7)
        #expect(DataSplit.trainingCount(5, validationFraction: 0) == 5)
    }

    @Test func perClassLimitKeepsTheFirstNOfEachClassAfterTheSplit() {
        let split = DataSplit(files: files, classes: ["a", "b"], validationFraction: 0.2, order: .shuffled, seed: 3)
        let limited = split.limited(train: 20, validation: 4)
        #expect(limited.train[0] == Array(split.train[0].prefix(20)))
        #expect(limited.train[1] == Array(split.train[1].prefix(18)))
        #expect(limited.validation.map(\.count) == [4, 4])
        #expect(split.limited(train: nil, validation: nil) == split)
    }

    @Test func aSavedSplitReadsBackAndIsCheckedAgainstTheDataSet() throws {
        let set = try TestDataSet.twoClasses(a: 10, b: 10)
        let log = LogLines()
        var config = testConfig(batchSize: 2)
        config.seed = 5
        let first = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: log.append)
        let file = set.root + "/split.json"
        try first.split.write(to: URL(fileURLWithPath: file))
        #expect(try DataSplit.read(from: URL(fileURLWithPath: file)) == first.split)

        // Another seed, but the saved split wins.
        config.seed = 6
        let again = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, splitFile: URL(fileURLWithPath: file), log: { _ in })
        #expect(again.split == first.split)
        #expect(again.validation.samples == first.validation.samples)

        // A file named in the split has gone: a clear error, before training.
        let gone = first.split.validation[0][0]
        try FileManager.default.removeItem(atPath: set.root + "/" + gone)
        #expect(throws: DataError.splitFile(path: file, reason: "names \(gone), which is missing or unusable in \(set.root); put it back, or resume without the split's missing files (--skip-missing-files)")) {
            try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, splitFile: URL(fileURLWithPath: file), log: { _ in })
        }
        // Asked to, the pipeline goes on without it, naming it, and the rest of the split is as saved.
        let warnings = Mutex<[String]>([])
        let without = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, splitFile: URL(fileURLWithPath: file), skipMissing: true,
                                               log: { line in warnings.withLock { $0.append(line) } })
        #expect(without.split.validation[0] == Array(first.split.validation[0].dropFirst()) && without.split.train == first.split.train)
        #expect(warnings.withLock { $0 }.contains { $0.contains("\(gone) of split.json is missing or unusable; going on without it") })
        try Data("{}".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: DataError.self) { try DataSplit.read(from: URL(fileURLWithPath: file)) }
    }

    @Test func configurationRoundTripsThroughJSONAndMissingKeysTakeDefaults() throws {
        var config = DataConfig(classes: ["daisy", "rose"], smallImages: .resizeShortSide, seed: 9, perClassLimit: 30,
                                augmentation: AugmentationPolicy(rotationRange: 20, zoomRange: AugmentationPolicy.zoom(0.1),
                                                                 horizontalFlip: true, brightnessRange: 0.8...1.2, fillMode: .reflect),
                                appendAugmentedCopy: true)
        config.normalisation = .meanStd(mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.25])
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(DataConfig.self, from: data) == config)
        let partial = try JSONDecoder().decode(DataConfig.self, from: Data(#"{"batchSize": 8, "augmentation": {"verticalFlip": true}}"#.utf8))
        var expected = DataConfig(batchSize: 8)
        expected.augmentation = AugmentationPolicy(verticalFlip: true)
        #expect(partial == expected)
        #expect(DataConfig().cropHeight == 100 && DataConfig().validationFraction == 0.2 && DataConfig().dropLast)
    }

    @Test func badSettingsAreNamed() {
        #expect(throws: DataError.invalidConfig(parameter: "validationFraction", reason: "must be in [0, 1), got 1.0")) {
            try DataConfig(validationFraction: 1).validate()
        }
        #expect(throws: DataError.invalidConfig(parameter: "appendAugmentedCopy", reason: "needs an augmentation policy to make the copies with")) {
            try DataConfig(appendAugmentedCopy: true).validate()
        }
        #expect(throws: DataError.self) { try DataConfig(augmentation: AugmentationPolicy(zoomRange: 0...1)).validate() }
        #expect(throws: DataError.self) { try DataConfig(classes: ["a", "a"]).validate() }
        #expect(throws: DataError.self) { try DataConfig(normalisation: .meanStd(mean: [0.5], std: [0.2])).validate() }
    }
}
