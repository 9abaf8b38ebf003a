// EfficientNet against torchvision's own: a reduced B0 built by torchvision's constructors
// (Scripts/fixtures/efficientnet_fixtures.py) loads by its names and gives PyTorch's eval logits, training-mode logits
// and loss, every gradient and the batch-norm statistics after the step; the published variants' stages round as
// torchvision rounds them; stochastic depth drops whole samples' branches in training only.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

@Suite struct EfficientNetTests {
    @Test func reproducesTorchvision() throws {
        let name = "efficientnet_b0_w025_d05"
        let model = try EfficientNet(.b0, classes: 3, widthMultiplier: 0.25, depthMultiplier: 0.5, dropout: 0, stochasticDepth: 0, initializer: .skip)
        try model.load(try ReferenceFixture.load(name), source: name)  // strict: every name is torchvision's
        // The fixture's values are exact (float64). A projection's batch norm feeds the next block's 1×1 expansion and
        // its training-mode batch norm with nothing nonlinear between, so its bias gradient is zero in exact arithmetic;
        // oneDNN accumulates the batch-norm backward in float where PyTorch's CPU kernel uses double, and Petal's comes
        // out as noise up to 8e-6 (PyTorch's float32 run: 2e-6). The first block's squeeze-and-excitation gradients,
        // behind it, carry that noise: 2.6e-4 of their tensor's largest value.
        try ReferenceFixture.expectMatches(model, try ReferenceFixture.load(name + ".expected"), labels: [0, 2], gradientFloor: 1e-5, gradientScale: 5e-4)
    }

    /// The stages torchvision's `_efficientnet_conf` gives (printed by the fixture script).
    @Test func stagesScaleAsTorchvisionScalesThem() {
        func table(_ v: EfficientNet.Variant) -> [[Int]] {
            EfficientNet.stages(v).map { [$0.expandRatio, $0.kernel, $0.stride, $0.inputChannels, $0.outputChannels, $0.blocks] }
        }
        #expect(table(.b0) == [[1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3], [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1]])
        #expect(table(.b1).map { $0[5] } == [2, 3, 3, 4, 4, 5, 2])
        #expect(table(.b2) == [[1, 3, 1, 32, 16, 2], [6, 3, 2, 16, 24, 3], [6, 5, 2, 24, 48, 3], [6, 3, 2, 48, 88, 4], [6, 5, 1, 88, 120, 4], [6, 5, 2, 120, 208, 5], [6, 3, 1, 208, 352, 2]])
        #expect(table(.b3) == [[1, 3, 1, 40, 24, 2], [6, 3, 2, 24, 32, 3], [6, 5, 2, 32, 48, 3], [6, 3, 2, 48, 96, 5], [6, 5, 1, 96, 136, 5], [6, 5, 2, 136, 232, 6], [6, 3, 1, 232, 384, 2]])
    }

    /// In training each sample's values are all kept (scaled by 1 / (1 − p)) or all zeroed, about p of the samples
    /// are dropped, and the gradient flows through the same mask; in inference the layer is the identity.
    @Test func stochasticDepthDropsWholeSamplesInTrainingOnly() throws {
        let layer = try StochasticDepth(probability: 0.25, seed: 5)
        let x = try Tensor(shape: [400, 2, 3, 3], scalars: (0..<(400 * 18)).map { Float($0 % 7) + 1 }).requiringGradient()
        layer.train()
        let y = try layer(x)
        var dropped = 0
        for n in 0..<400 {
            let row = Array(y.scalars[(n * 18)..<((n + 1) * 18)]), input = Array(x.scalars[(n * 18)..<((n + 1) * 18)])
            if row.allSatisfy({ $0 == 0 }) { dropped += 1 } else {
                #expect(zip(row, input).allSatisfy { abs($0 - $1 / 0.75) < 1e-5 }, "sample \(n) is neither dropped nor scaled by 1/(1-p)")
            }
        }
        #expect((70...130).contains(dropped), "\(dropped) of 400 samples dropped at p = 0.25")
        try y.sum().backward()
        let grad = try #require(x.grad)
        #expect(zip(grad.scalars, y.scalars).allSatisfy { g, v in v == 0 ? g == 0 : abs(g - 1 / 0.75) < 1e-5 })
        layer.eval()
        #expect(try layer(x).scalars == x.scalars)
        #expect(throws: ModelError.self) { try StochasticDepth(probability: 1) }
    }
}
