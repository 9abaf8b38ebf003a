import Testing
@testable import PetalNN

/// Eval-mode forward with gradients off folds every BN into its convolution and fuses the residual sum and ReLU;
/// with gradients on, eval mode runs the layers one by one. Both must give the same logits.
@Suite struct InferenceFusionTests {
    /// Non-trivial batch-norm statistics and affine parameters, so that folding has something to get wrong.
    static func randomiseBatchNorms(_ model: Module, seed: UInt64) throws {
        var g = SeededGenerator(seed: seed)
        for case let bn as BatchNorm2D in model.namedModules.map(\.module) {
            try bn.parameter("weight").assign(Tensor.randomUniform([bn.channels], low: 0.5, high: 1.5, generator: &g))
            try bn.parameter("bias").assign(Tensor.randomNormal([bn.channels], standardDeviation: 0.2, generator: &g))
            try bn.buffer("running_mean").assign(Tensor.randomNormal([bn.channels], standardDeviation: 0.3, generator: &g))
            try bn.buffer("running_var").assign(Tensor.randomUniform([bn.channels], low: 0.5, high: 2, generator: &g))
        }
    }

    @Test(arguments: [(ResNet.Depth.r18, ResNet.Variant.v1), (.r18, .preActivation), (.r50, .v1), (.r50, .preActivation)])
    func fusedInferenceEqualsLayerByLayerEval(depth: ResNet.Depth, variant: ResNet.Variant) throws {
        let model = try ResNet(depth: depth, variant: variant, classes: 3, baseWidth: 8, initializer: WeightInitializer(seed: 5))
        try Self.randomiseBatchNorms(model, seed: 6)
        var g = SeededGenerator(seed: 7)
        let x = try Tensor.randomNormal([2, 3, 64, 64], generator: &g)
        model.eval()
        let layerByLayer = try model(x).scalars
        let fused = try withoutGradients { try model(x) }.scalars
        expectClose(fused, layerByLayer.map(Double.init), rtol: 1e-4, atol: 1e-4, "fused logits")
        #expect(layerByLayer.contains { abs($0) > 1e-2 }, "logits are not trivially zero")
    }

    @Test func foldedWeightsFollowParameterAndStatisticChanges() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 8, initializer: WeightInitializer(seed: 1))
        var g = SeededGenerator(seed: 2)
        let x = try Tensor.randomNormal([1, 3, 48, 48], generator: &g)
        model.eval()
        let before = try withoutGradients { try model(x) }.scalars
        // An in-place write (as an optimizer step or a checkpoint load does) must invalidate the folded copy.
        try Self.randomiseBatchNorms(model, seed: 3)
        let conv: Conv2D = try #require(model.namedModules.first { $0.name == "layer1.0.conv1" }?.module as? Conv2D)
        conv.weight.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= -1 } }
        let after = try withoutGradients { try model(x) }.scalars
        let reference = try model(x).scalars
        #expect(after != before)
        expectClose(after, reference.map(Double.init), rtol: 1e-4, atol: 1e-4, "fused logits after the weights changed")
    }
}
