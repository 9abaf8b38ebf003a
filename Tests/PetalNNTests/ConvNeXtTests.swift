// ConvNeXt against torchvision's own: a reduced network built by torchvision's constructor
// (Scripts/fixtures/convnext_fixtures.py) loads by its names and gives PyTorch's eval logits, training-mode logits and
// loss, and every gradient (layer norms, layer scales, depthwise and pointwise layers); the published variants have
// torchvision's parameter counts; the initial weights follow torchvision's rule.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

@Suite struct ConvNeXtTests {
    @Test func reproducesTorchvision() throws {
        let name = "convnext_tiny_w1_12"
        let model = try ConvNeXt(.tiny, classes: 3, widthMultiplier: 1.0 / 12, depths: [2, 1, 2, 1], stochasticDepth: 0, initializer: .skip)
        #expect(model.widths == [8, 16, 32, 64])
        try model.load(try ReferenceFixture.load(name), source: name)  // strict: every name is torchvision's
        try ReferenceFixture.expectMatches(model, try ReferenceFixture.load(name + ".expected"), labels: [0, 2])
    }

    /// torchvision's `sum(p.numel() for p in convnext_tiny().parameters())` and so on, at 1000 classes.
    @Test func publishedVariantsHaveTorchvisionsParameterCounts() throws {
        #expect(try ConvNeXt(.tiny, classes: 1000, initializer: .skip).parameterCount == 28_589_128)
        #expect(try ConvNeXt(.small, classes: 1000, initializer: .skip).parameterCount == 50_223_688)
    }

    /// Convolution and linear weights drawn with deviation 0.02 (none past ±2), biases zero, layer scales 10⁻⁶, layer
    /// norms the identity.
    @Test func initialWeightsFollowTorchvision() throws {
        let model = try ConvNeXt(.tiny, classes: 5, widthMultiplier: 0.25, initializer: WeightInitializer(seed: 3))
        let weights = model.namedParameters.filter { $0.name.hasSuffix("weight") && $0.tensor.rank >= 2 }.flatMap(\.tensor.scalars)
        let mean = weights.reduce(0, +) / Float(weights.count)
        let deviation = (weights.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(weights.count)).squareRoot()
        #expect(abs(mean) < 1e-3 && abs(deviation - 0.02) < 1e-3, "mean \(mean), deviation \(deviation)")
        for (name, t) in model.namedParameters {
            if name.hasSuffix("layer_scale") { #expect(t.scalars.allSatisfy { $0 == 1e-6 }, "\(name)") }
            if name.hasSuffix("bias") { #expect(t.scalars.allSatisfy { $0 == 0 }, "\(name)") }
        }
        #expect(throws: ModelError.self) { try ConvNeXt(.tiny, classes: 2, depths: [1, 1, 1]) }
    }
}
