// Compute settings belong to each model: two models with different convolution algorithms run side by side in one
// process, each computing as it was told, whatever the other does.
import PetalTestSupport
import Testing
@testable import PetalNN
@testable import PetalTensor

@Suite struct ComputeSettingsTests {
    @Test func twoModelsWithDifferentConvolutionAlgorithmsRunSideBySide() throws {
        let direct = try Conv2D(16, 32, kernel: 3, padding: 1, bias: false, initializer: WeightInitializer(seed: 3))
        let automatic = try Conv2D(16, 32, kernel: 3, padding: 1, bias: false, initializer: WeightInitializer(seed: 3))
        direct.algorithm = .direct
        var g = SeededGenerator(seed: 5)
        let x = try Tensor.randomNormal([16, 16, 9, 10], generator: &g)
        let (soloDirect, soloAuto) = (try direct(x).scalars, try automatic(x).scalars)
        for _ in 0..<2 {
            #expect(try automatic(x).scalars == soloAuto)
            #expect(try direct(x).scalars == soloDirect, "the other model's setting does not leak into this one")
        }
        #expect(try x.conv2d(weight: direct.weight, padding: 1, algorithm: .direct).scalars == soloDirect)
        #expect(try x.conv2d(weight: automatic.weight, padding: 1).scalars == soloAuto)
        let worst = zip(soloDirect, soloAuto).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-3, "both compute the same convolution (Winograd differs by rounding only): \(worst)")
        // Where oneDNN has Winograd, the automatic model runs it and the direct one does not, so their sums round
        // differently; elsewhere both run the direct kernel and agree exactly.
        let plans = try [direct, automatic].map { try x.requiringGradient().convolutionPlan(weight: $0.weight, bias: nil, stride: 1, padding: 1,
                                                                                              dilation: 1, groups: 1, algorithm: $0.algorithm) }
        #expect(!plans[0].forward.implementation.contains("wino"))
        #expect(plans[1].forward.implementation.contains("wino") == TestCPU.offersWinograd, "auto ran \(plans[1].forward.implementation)")
        #expect((soloDirect != soloAuto) == TestCPU.offersWinograd)
    }

    @Test func aModelSetsTheAlgorithmOfEveryConvolution() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 1))
        model.setConvolutionAlgorithm(.direct)
        let layers = model.namedModules.compactMap { $0.module as? Conv2D }
        #expect(layers.count == 20 && layers.allSatisfy { $0.algorithm == .direct })
    }
}
