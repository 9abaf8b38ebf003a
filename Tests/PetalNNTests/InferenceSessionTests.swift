import PetalTestSupport
import Testing
@testable import PetalNN

/// A session replays a recording of the forward pass for single images; it must give what the model gives, and
/// follow every change the model's own output would follow.
@Suite struct InferenceSessionTests {
    static func model(seed: UInt64, variant: ResNet.Variant = .v1) throws -> ResNet {
        let model = try ResNet(depth: .r18, variant: variant, classes: 3, baseWidth: 8, initializer: WeightInitializer(seed: seed))
        try InferenceFusionTests.randomiseBatchNorms(model, seed: seed + 1)
        return model
    }

    static func image(seed: UInt64, batch: Int = 1) throws -> Tensor {
        var g = SeededGenerator(seed: seed)
        return try Tensor.randomNormal([batch, 3, 40, 40], generator: &g)
    }

    @Test func reproducesTorchvisionsEvalLogitsForOneImage() throws {
        let (f, weights, x) = try ResNetFixture.load("resnet18_w8")
        let model = try ResNet(depth: .r18, classes: f.classes, baseWidth: f.width, initializer: WeightInitializer(seed: 99))
        try model.load(from: weights)
        let session = InferenceSession(model)
        let classes = f.classes
        for i in 0..<min(x.shape[0], 2) {
            let logits = try session(x.slice(batch: i..<(i + 1)))
            #expect(logits.shape == [1, classes])
            expectClose(logits.scalars, Array(f.eval_logits.data[(i * classes)..<((i + 1) * classes)]), rtol: 1e-4, atol: 1e-5, "image \(i)")
        }
        #expect(session.replays(inputShape: [1] + x.shape.dropFirst()))
    }

    @Test(arguments: ResNet.Variant.allCases)
    func replayedPredictionsEqualTheModelsAndDependOnTheImage(variant: ResNet.Variant) throws {
        let model = try Self.model(seed: 1, variant: variant)
        let session = InferenceSession(model)
        var outputs: [[Float]] = []
        for seed in UInt64(10)..<13 {
            let x = try Self.image(seed: seed)
            let replayed = try session(x).scalars
            model.eval()
            let direct = try model.fusedForInference()(x).scalars
            expectClose(replayed, direct.map(Double.init), rtol: 1e-5, atol: 1e-6, "image \(seed)")
            outputs.append(replayed)
        }
        #expect(session.replays(inputShape: [1, 3, 40, 40]))
        #expect(outputs[0] != outputs[1] && outputs[1] != outputs[2], "a stale replay would repeat its first answer")
        let probabilities = try session.probabilities(Self.image(seed: 10)).scalars
        #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
    }

    @Test func followsWeightStatisticAndPrecisionChanges() throws {
        let model = try Self.model(seed: 2)
        let session = InferenceSession(model)
        let x = try Self.image(seed: 3)
        let before = try session(x).scalars
        func direct() throws -> [Double] {
            model.eval()
            return try model.fusedForInference()(x).scalars.map(Double.init)
        }
        // In-place writes, as an optimizer step or a checkpoint load make them.
        let conv: Conv2D = try #require(model.namedModules.first { $0.name == "layer2.0.conv2" }?.module as? Conv2D)
        conv.weight.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= -1.5 } }
        let afterWeights = try session(x).scalars
        #expect(afterWeights != before)
        expectClose(afterWeights, try direct(), rtol: 1e-5, atol: 1e-6, "after a weight changed")

        try InferenceFusionTests.randomiseBatchNorms(model, seed: 4)
        let afterStatistics = try session(x).scalars
        #expect(afterStatistics != afterWeights)
        expectClose(afterStatistics, try direct(), rtol: 1e-5, atol: 1e-6, "after the batch norms changed")

        model.setConvolutionAlgorithm(.direct)
        expectClose(try session(x).scalars, try direct(), rtol: 1e-5, atol: 1e-6, "after switching to direct convolutions")

        guard Device.default.supportsBF16Convolutions else { return }  // the rest needs bf16 kernels
        model.setConvolutionPrecision(.bf16)
        let bf16 = try session(x).scalars
        #expect(bf16 != afterStatistics, "bf16 convolutions round")
        expectClose(bf16, try direct(), rtol: 1e-5, atol: 1e-6, "after switching to bf16")
        #expect(session.replays(inputShape: x.shape))
    }

    @Test func batchesRunTheModelDirectlyAndTheModeIsKept() throws {
        let model = try Self.model(seed: 5)
        model.train()
        let session = InferenceSession(model)
        let x = try Self.image(seed: 6, batch: 2)
        let batched = try session(x).scalars
        #expect(model.isTraining, "the session leaves the model in the mode it was in")
        model.eval()
        let direct = try model.fusedForInference()(x).scalars
        #expect(batched == direct)
        #expect(!session.replays(inputShape: x.shape))
        model.train()
        _ = try session(x.slice(batch: 0..<1))
        #expect(model.isTraining)
        #expect(throws: TensorError.self) { try session(Tensor.zeros([1, 4, 40, 40])) }
    }
}
