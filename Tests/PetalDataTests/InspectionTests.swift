// A loader's images outside the batch stream: channel statistics for mean/std normalisation, and previews that
// equal what an epoch feeds the network.
import Foundation
import Testing
import PetalImage
@testable import PetalData

@Suite struct InspectionTests {
    @Test func channelStatisticsAreThoseOfTheCrops() throws {
        let set = try TestDataSet()
        try set.image("a/0.png", red: 0, green: 51, blue: 255)
        try set.image("a/1.png", red: 255, green: 51, blue: 255)
        var config = testConfig(batchSize: 2)
        config.validationFraction = 0
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: { _ in })
        guard case .meanStd(let mean, let std) = try data.train.channelStatistics() else { Issue.record("not mean/std"); return }
        let expectedMean: [Float] = [0.5, 0.2, 1], expectedStd: [Float] = [0.5, 1, 1]   // constant channels: std 1
        for c in 0..<3 {
            #expect(abs(mean[c] - expectedMean[c]) < 1e-6)
            #expect(abs(std[c] - expectedStd[c]) < 1e-6)
        }
    }

    @Test func previewShowsTheImageAsTheEpochAugmentsIt() throws {
        let set = try TestDataSet()
        for i in 0..<4 { try set.texture("a/\(i).png", height: 12, width: 12, seed: i) }
        var config = testConfig(batchSize: 2)
        config.validationFraction = 0
        config.augmentation = AugmentationPolicy(rotationRange: 30, horizontalFlip: true)
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config, log: { _ in })
        let order = data.train.order(epoch: 1)
        let batch = try data.train.batch(epoch: 1, index: 0)
        let shown = try data.train.preview(sample: order[0], epoch: 1)
        let s = batch.images.scalars
        var planar: [Float] = []
        for c in 0..<3 { for p in 0..<64 { planar.append(shown.pixels[p * 3 + c]) } }
        #expect(planar == Array(s[0..<192]))
        #expect(throws: DataError.self) { try data.train.preview(sample: 4, epoch: 0) }
    }
}
