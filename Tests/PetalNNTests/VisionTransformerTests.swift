// The Vision Transformer against torchvision's own: a reduced ViT built by torchvision's constructor
// (Scripts/fixtures/vit_fixtures.py) loads by its names and gives PyTorch's eval logits (also through the traced,
// fused graph), training-mode logits and loss, and every gradient; at another image size its position embeddings are
// interpolated as torchvision's `interpolate_embeddings` does; the published variants have torchvision's parameter
// counts; Grad-CAM's map is the patch grid.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

@Suite struct VisionTransformerTests {
    static let name = "vit_b_32_w1_32"

    static func reduced() throws -> VisionTransformer {
        try VisionTransformer(.b32, classes: 3, widthMultiplier: 1.0 / 32, layers: 2, imageSize: 64, initializer: .skip)
    }

    @Test func reproducesTorchvision() throws {
        let model = try Self.reduced()
        #expect(model.hidden == 24 && model.heads == 12)
        try model.load(try ReferenceFixture.load(Self.name), source: Self.name)  // strict: every name is torchvision's
        try ReferenceFixture.expectMatches(model, try ReferenceFixture.load(Self.name + ".expected"), labels: [0, 2])
    }

    /// 96×96 images make a 3×3 patch grid from embeddings stored for 2×2: the logits equal torchvision's after its
    /// `interpolate_embeddings(96, …)`.
    @Test func otherImageSizesInterpolateThePositionEmbeddings() throws {
        let model = try Self.reduced()
        try model.load(try ReferenceFixture.load(Self.name), source: Self.name)
        let expected = try ReferenceFixture.load(Self.name + ".expected")
        let x = try #require(expected["interp_input"]), logits = try #require(expected["interp_logits"])
        model.eval()
        expectClose(try model.inferring { try model(x) }.scalars, logits.scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "interpolated")
        expectClose(try model.fusedForInference()(x).scalars, logits.scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "interpolated, fused")
    }

    /// The bicubic weights of an exact grid position are that sample alone, and every row sums to one.
    @Test func bicubicWeightsInterpolate() {
        let w = Bicubic.weights(from: 4, to: 7)
        #expect(w[0] == [1, 0, 0, 0] && w[6] == [0, 0, 0, 1] && w[2] == [0, 1, 0, 0])
        #expect(w.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-12 })
    }

    /// torchvision's `sum(p.numel() for p in vit_b_16().parameters())` and so on, at 1000 classes.
    @Test func publishedVariantsHaveTorchvisionsParameterCounts() throws {
        #expect(try VisionTransformer(.b16, classes: 1000, initializer: .skip).parameterCount == 86_567_656)
        #expect(try VisionTransformer(.b32, classes: 1000, initializer: .skip).parameterCount == 88_224_232)
    }

    /// Grad-CAM weighs the patch tokens laid out as their grid, the class token left out.
    @Test func theSpatialMapIsThePatchGrid() throws {
        let model = try VisionTransformer(.b32, classes: 3, widthMultiplier: 1.0 / 32, layers: 1, imageSize: 64, initializer: WeightInitializer(seed: 2))
        let tokens = try Tensor(shape: [1, 7, 24], scalars: (0..<(7 * 24)).map(Float.init))
        let map = try model.spatialMap(of: tokens, inputShape: [1, 3, 64, 96])
        #expect(map.shape == [1, 24, 2, 3])
        // Channel c at grid position p is token 1 + p's channel c.
        #expect(map.scalars[0 * 6 + 0] == 24 && map.scalars[1 * 6 + 5] == Float(6 * 24 + 1))
    }
}
