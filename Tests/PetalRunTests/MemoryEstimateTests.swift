// Issue 31, item 5: a configuration that cannot fit in memory is refused with the figures before anything is allocated.
import Foundation
import Testing
@testable import PetalRun

@Suite struct MemoryEstimateTests {
    func configuration(width: Int, depth: ResNet.Depth = .r18, batch: Int = 32) -> RunConfiguration {
        var c = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/nonexistent"), data: DataConfig(batchSize: batch, appendAugmentedCopy: true))
        (c.model.width, c.model.depth, c.data.augmentation) = (width, depth, AugmentationPolicy())
        return c
    }

    /// The parameters come from the architecture's counts; the activations of a width-8 probe scale with the width.
    @Test func theEstimateScalesWithWidthAndBatch() throws {
        let base = try MemoryEstimate(configuration(width: 64), classes: 2)
        #expect(abs(base.parameterBytes - 11.2e6 * 16) < 1)
        // ResNet-18 at width 64 on 100×100 inputs, counted by hand: the stem's convolution, batch norm and ReLU output
        // 50×50×64 = 160,000 values each and its max-pool 40,000 (520,000, a lower bound); with at most seven outputs
        // per residual block (40,000, 21,632, 12,544 and 8,192 values a stage, two blocks each) the whole is at most
        // 1.7 million.
        let perImage = base.activationBytes / 64 / MemoryEstimate.bytesPerActivation
        #expect(perImage > 520_000 && perImage < 1_700_000, "\(perImage)")
        let wide = try MemoryEstimate(configuration(width: 128), classes: 2)
        #expect(abs(wide.activationBytes / base.activationBytes - 2) < 1e-9 && abs(wide.parameterBytes / base.parameterBytes - 4) < 1e-9)
        let batch = try MemoryEstimate(configuration(width: 64, batch: 64), classes: 2)
        #expect(abs(batch.activationBytes / base.activationBytes - 2) < 1e-9)
    }

    /// On a machine of 8 GB (the review's), width 512 is refused naming --width and the figures, a huge batch naming
    /// the batch size; the default fits.
    @Test func whatCannotFitIsRefusedNamingTheOptionThatWeighsMost() throws {
        let wide = configuration(width: 512)
        do {
            try MemoryEstimate(wide, classes: 2).check(wide, available: 8e9)
            Issue.record("width 512 was accepted on 8 GB")
        } catch RunError.invalidSetting(let name, let reason) {
            #expect(name == "width" && reason.contains("needs about 17.") && reason.contains("11.5 GB of weights") && reason.contains("more than the 8.0 GB"), "\(reason)")
        }
        let big = configuration(width: 64, batch: 2048)
        #expect(throws: RunError.self) { try MemoryEstimate(big, classes: 2).check(big, available: 8e9) }
        do { try MemoryEstimate(big, classes: 2).check(big, available: 8e9) } catch RunError.invalidSetting(let name, _) { #expect(name == "batchSize") }
        let standard = configuration(width: 64)
        try MemoryEstimate(standard, classes: 2).check(standard, available: 8e9)
    }
}
