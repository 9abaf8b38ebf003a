// The loader: every image exactly once per epoch, full batches with the right shapes, labels and one-hot
// targets, seeded shuffles, identical results with and without the background thread, normalisation, the
// small-image policies, and files that stop decoding mid-run.
import Foundation
import PetalTestSupport
import Testing
import PetalImage
@testable import PetalData

@Suite struct LoaderTests {
    /// Every training batch of an epoch.
    func epoch(_ loader: DataLoader, _ e: Int) throws -> [Batch] { Array(try loader.batches(epoch: e)) }

    func allTraining(_ set: TestDataSet, _ config: DataConfig) throws -> PreparedData {
        var c = config
        c.validationFraction = 0
        return try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: c, log: { _ in })
    }

    @Test func everyImageAppearsExactlyOncePerEpochInFullBatches() throws {
        let set = try TestDataSet.twoClasses(a: 10, b: 9)
        let keep = try allTraining(set, DataConfig(cropHeight: 8, cropWidth: 8, batchSize: 4, dropLast: false, prefetchBatches: 0))
        #expect(keep.train.batchesPerEpoch == 5 && keep.train.count == 5)
        let batches = try epoch(keep.train, 0)
        #expect(batches.map(\.count) == [4, 4, 4, 4, 3])
        let seen = batches.flatMap(\.redValues)
        #expect(seen.sorted() == Array(0..<10) + Array(100..<109))
        for b in batches {
            #expect(b.images.shape == [b.count, 3, 8, 8])
            // Label follows the image (class b has red ≥ 100) and the one-hot row has its 1 there.
            #expect(b.labels == b.redValues.map { $0 >= 100 ? 1 : 0 })
            #expect(b.oneHot.scalars == b.labels.flatMap { $0 == 0 ? [Float(1), 0] : [0, 1] })
            // Every pixel of a plane is the image's colour / 255 (a uniform picture, cropped).
            let s = b.images.scalars
            for i in 0..<b.count {
                #expect(s[(i * 3 + 1) * 64 + 17] == Float(b.labels[i]) / 255)
                #expect(s[(i * 3) * 64 + 63] == Float(b.redValues[i]) / 255)
            }
        }

        let drop = try allTraining(set, DataConfig(cropHeight: 8, cropWidth: 8, batchSize: 4, prefetchBatches: 2))
        let full = try epoch(drop.train, 0)
        #expect(full.map(\.count) == [4, 4, 4, 4])
        #expect(Set(full.flatMap(\.redValues)).count == 16)
    }

    @Test func epochsAreShuffledFromTheSeedAndValidationIsNot() throws {
        let set = try TestDataSet.twoClasses(a: 15, b: 10)
        let config = testConfig(batchSize: 4)
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: { _ in })
        let e0 = try epoch(data.train, 0).flatMap(\.redValues), e0again = try epoch(data.train, 0).flatMap(\.redValues)
        let e1 = try epoch(data.train, 1).flatMap(\.redValues)
        #expect(e0 == e0again)
        #expect(e0 != e1 && e0.sorted() == e1.sorted())
        var other = config
        other.seed = 43
        let reseeded = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: other, log: { _ in })
        #expect(try epoch(reseeded.train, 0).flatMap(\.redValues) != e0)

        // Validation: 20 % of each class (3 of 15, 2 of 10), fixed order, the last partial batch kept.
        #expect(data.validation.samples.count == 5)
        let v0 = try epoch(data.validation, 0), v1 = try epoch(data.validation, 1)
        #expect(v0.map(\.count) == [4, 1])
        #expect(v0.flatMap(\.redValues) == v1.flatMap(\.redValues))
        #expect(Set(v0.flatMap(\.redValues)).isDisjoint(with: Set(e0)))
        #expect(data.train.classCounts == [12, 8] && data.train.classWeights == [20 / 24, 20 / 16])
    }

    @Test func prefetchingDoesNotChangeAnyBatch() throws {
        let set = try TestDataSet()
        for i in 0..<10 { try set.texture("a/\(i).png", height: 14, width: 12, seed: i) }
        for i in 0..<10 { try set.texture("b/\(i).png", height: 12, width: 15, seed: 50 + i) }
        var config = testConfig(batchSize: 3)
        config.augmentation = AugmentationPolicy(rotationRange: 30, widthShiftRange: 0.1, zoomRange: AugmentationPolicy.zoom(0.2),
                                                 horizontalFlip: true, brightnessRange: 0.7...1.3)
        config.cacheBudgetMB = 0   // decode in the background thread too
        let direct = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: { _ in })
        config.prefetchBatches = 3
        let prefetched = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: { _ in })
        for e in 0..<2 {
            let a = try epoch(direct.train, e), b = try epoch(prefetched.train, e)
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) {
                #expect(x.images.scalars == y.images.scalars)
                #expect(x.labels == y.labels)
            }
        }
        // An epoch abandoned after one batch stops its thread; the next epoch is unaffected.
        var it = try prefetched.train.batches(epoch: 0)
        #expect(it.next() != nil)
        it = try prefetched.train.batches(epoch: 1)
        #expect(Array(it).count == prefetched.train.batchesPerEpoch)
    }

    @Test func meanStdNormalisationIsAppliedPerChannel() throws {
        let set = try TestDataSet()
        for i in 0..<4 { try set.image("a/\(i).png", red: 51, green: 102, blue: 255) }
        var config = testConfig(batchSize: 4)
        config.validationFraction = 0
        config.normalisation = .meanStd(mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2])
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: { _ in })
        let s = try epoch(data.train, 0)[0].images.scalars
        #expect(abs(s[5] - (0.2 - 0.1) / 0.5) < 1e-6)
        #expect(abs(s[64 + 5] - (0.4 - 0.2) / 0.25) < 1e-6)
        #expect(abs(s[128 + 5] - (1 - 0.3) / 2) < 1e-6)
    }

    @Test func smallImagePoliciesPadOrEnlarge() throws {
        let image = try ByteImage(height: 4, width: 6, channels: 3, pixels: (0..<72).map { UInt8($0 * 3) })
        var config = testConfig()
        config.smallImages = .pad
        let padded = try #require(ImagePreparer(config: config).crop(image))
        // 4 rows centred in 8 (2 black rows above), 6 columns centred in 8 (1 black column left).
        #expect(padded.height == 8 && padded.width == 8)
        #expect(padded[1, 3, 0] == 0 && padded[2, 0, 0] == 0)
        #expect(padded[2, 1, 0] == image[0, 0, 0] && padded[5, 6, 2] == image[3, 5, 2])
        config.smallImages = .resizeShortSide
        let enlarged = try #require(ImagePreparer(config: config).crop(image))
        // Scaled by 2 to 8 × 12, then the central 8 columns.
        let expected = try image.resized(height: 8, width: 12).centreCropped(height: 8, width: 8)
        #expect(enlarged == expected)
        config.smallImages = .skip
        #expect(ImagePreparer(config: config).crop(image) == nil)
        let big = try ByteImage(height: 10, width: 9, channels: 3, pixels: (0..<270).map { UInt8($0 % 256) })
        #expect(ImagePreparer(config: config).crop(big) == (try big.centreCropped(height: 8, width: 8)))
    }

    /// `resize`: every photo scaled to the short side by box averaging (a naive 2×2 mean here), then centre-cropped, in
    /// landscape and portrait; small images are enlarged instead of skipped, and none counts as small.
    @Test func resizeScalesTheShortSideThenCrops() throws {
        var g = SeededGenerator(seed: 11)
        var config = testConfig()
        config.resize = 8
        for (h, w) in [(16, 24), (24, 16)] {
            let image = try ByteImage(height: h, width: w, channels: 3, pixels: (0..<(h * w * 3)).map { _ in UInt8(g.next() % 256) })
            let preparer = ImagePreparer(config: config)
            let crop = try #require(preparer.crop(image))
            #expect(crop.height == 8 && crop.width == 8)
            // The 8×12 (or 12×8) half-size image's central 8×8: offset 2 along the long side.
            let (dy, dx) = h < w ? (0, 2) : (2, 0)
            for y in 0..<8 { for x in 0..<8 { for c in 0..<3 {
                let (sy, sx) = (2 * (y + dy), 2 * (x + dx))
                let sum = [(0, 0), (0, 1), (1, 0), (1, 1)].map { Int(image[sy + $0.0, sx + $0.1, c]) }.reduce(0, +)
                #expect(abs(Double(crop[y, x, c]) - Double(sum) / 4) <= 0.5 + 1e-9, "(\(y), \(x), \(c)) of \(h)×\(w)")
            } } }
            #expect(!preparer.isSmall(height: 4, width: 4))
        }
        let small = try ByteImage(height: 4, width: 6, channels: 3, pixels: (0..<72).map { UInt8($0 * 3) })
        config.smallImages = .skip
        #expect(ImagePreparer(config: config).crop(small) == (try small.resized(height: 8, width: 12).centreCropped(height: 8, width: 8)))
        // The short side may not be smaller than the crop, and an old configuration without the key crops as before.
        config.resize = 7
        #expect(throws: DataError.self) { try config.validate() }
        let old = try JSONDecoder().decode(DataConfig.self, from: Data(#"{"cropHeight": 8, "cropWidth": 8}"#.utf8))
        #expect(old.resize == nil)
    }

    @Test func theScanFillsTheCacheSoTheFirstEpochDecodesNothing() throws {
        let set = try TestDataSet.twoClasses(a: 5, b: 5)
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: testConfig(batchSize: 2), log: { _ in })
        #expect(data.cache.count == 10 && data.cache.usedBytes == 10 * 8 * 8 * 3)
        // With the files gone, cached crops still load.
        try FileManager.default.removeItem(atPath: set.root + "/a")
        #expect(try epoch(data.train, 0).count == 4)
        #expect(data.train.loadFailures.isEmpty)
        var tiny = testConfig(batchSize: 2)
        tiny.cacheBudgetMB = 0
        #expect(ImageCache(budgetBytes: 100).insert(ByteImage(height: 8, width: 8, channels: 3), for: "x") == false)
    }

    @Test func aFileThatStopsDecodingIsReportedAndReplacedByItsClass() throws {
        let set = try TestDataSet.twoClasses(a: 6, b: 6)
        var config = testConfig(batchSize: 3)
        config.validationFraction = 0
        config.cacheBudgetMB = 0
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: { _ in })
        let warnings = LogLines()
        data.train.onWarning = warnings.append
        try Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: set.root + "/a/img002.png"))
        for e in 0..<2 {
            let batches = try epoch(data.train, e)
            #expect(batches.map(\.count) == [3, 3, 3, 3])
            let reds = batches.flatMap(\.redValues)
            #expect(!reds.contains(2))
            #expect(reds.filter { $0 < 100 }.count == 6)          // still six class-a images, one of them twice
            #expect(Set(reds.filter { $0 < 100 }) == [0, 1, 3, 4, 5])
            #expect(batches.allSatisfy { $0.labels == $0.redValues.map { $0 >= 100 ? 1 : 0 } })
        }
        #expect(data.train.loadFailures.map(\.path) == ["a/img002.png"])
        #expect(warnings.lines.count == 1)   // once, not every epoch
        #expect(warnings.lines[0].hasPrefix("warning: \(set.root)/a/img002.png no longer decodes"))
        #expect(data.train.lastError == nil)

        // Every file of a class gone: the epoch ends early with the reason, never a crash.
        try FileManager.default.removeItem(atPath: set.root + "/b")
        let partial = try epoch(data.train, 2)
        #expect(partial.count < 4)
        guard case .classUnreadable(let name, _, _)? = data.train.lastError else {
            Issue.record("expected classUnreadable, got \(String(describing: data.train.lastError))"); return
        }
        #expect(name == "b")
    }

    @Test func aTrainingSetSmallerThanOneBatchIsRefusedUpFront() throws {
        let set = try TestDataSet.twoClasses(a: 3, b: 3)
        #expect(throws: DataError.self) {
            try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: testConfig(batchSize: 8), log: { _ in })
        }
    }

    @Test func anAbandonedEpochStopsItsThreadAndTheQueueStaysBounded() throws {
        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var made = 0
            func increment() { lock.lock(); made += 1; lock.unlock() }
            var value: Int { lock.lock(); defer { lock.unlock() }; return made }
        }
        let counter = Counter()
        let prefetcher = Prefetcher(count: 100, capacity: 2) { i in
            counter.increment()
            return try Batch(images: Tensor.zeros([1, 1, 1, 1]), labels: [i % 2], classCount: 2)
        }
        #expect(try prefetcher.next()?.get().labels == [0])
        #expect(try prefetcher.next()?.get().labels == [1])
        Thread.sleep(forTimeInterval: 0.05)
        #expect(counter.value <= 2 + 2 + 1)   // consumed, queued, and at most one in the making
        prefetcher.cancel()
        prefetcher.waitUntilFinished()
        let stopped = counter.value
        #expect(stopped < 100)
        Thread.sleep(forTimeInterval: 0.02)
        #expect(counter.value == stopped)
    }
}
