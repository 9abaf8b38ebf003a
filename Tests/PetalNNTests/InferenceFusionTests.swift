import PetalTestSupport
import Testing
@testable import PetalNN

/// A user's own block written with public ops only: a convolution and batch norm, a residual sum with a projected
/// shortcut, a ReLU, then pooling and a classifier. Nothing in it describes a graph or a fusion.
final class UserBlockNet: Module {
    let conv = try! Conv2D(3, 8, kernel: 3, padding: 1, bias: false, initializer: WeightInitializer(seed: 21))
    let norm = try! BatchNorm2D(8)
    let project = try! Conv2D(3, 8, kernel: 1, initializer: WeightInitializer(seed: 22))
    let pool = MaxPool2D(kernel: 2)
    let head = try! Dense(8, 3, initializer: WeightInitializer(seed: 23))

    override init() {
        super.init()
        for (name, child) in [("conv", conv), ("norm", norm), ("project", project), ("pool", pool), ("head", head)] as [(String, Module)] {
            registerChild(name, child)
        }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let y = try (norm(conv(x)) + project(x)).relu()
        return try head(pool(y).globalAvgPool2d())
    }
}

/// The fused inference that `fusedForInference()` derives from a traced forward pass must give the logits of the
/// layer-by-layer eval-mode forward, for Petal's ResNets and for a user's own block.
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
        let layerByLayer = try withoutGradients { try model(x) }.scalars
        let fused = model.fusedForInference()
        #expect(try fused.isFused(inputShape: [3, 64, 64]))
        expectClose(try fused(x).scalars, layerByLayer.map(Double.init), rtol: 1e-4, atol: 1e-4, "fused logits")
        #expect(layerByLayer.contains { abs($0) > 1e-2 }, "logits are not trivially zero")
    }

    @Test func theTracedGraphHasEveryLayerAndFoldsEachBatchNormIntoItsConvolution() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 8)
        func count(_ graph: InferenceGraph, _ kind: String) -> Int { graph.nodes.filter { $0.operation.kind == kind }.count }
        let kept = try model.inferenceGraph(inputShape: [3, 32, 32], foldingBatchNorm: false)
        // 17 convolutions on the main path and 3 projections; a batch norm after each; 8 residual sums.
        #expect((count(kept, "conv"), count(kept, "bn"), count(kept, "add"), count(kept, "relu")) == (20, 20, 8, 17))
        #expect(kept.nodes.first?.name == "conv1" && kept.nodes.first?.inputs == [InferenceGraph.inputName])
        #expect(kept.nodes.contains { $0.name == "layer2.0.downsample.0" } && kept.nodes.contains { $0.name == "layer4.1.add" })
        #expect(kept.output == "fc")
        let folded = try model.inferenceGraph(inputShape: [3, 32, 32])
        #expect((count(folded, "conv"), count(folded, "bn"), folded.nodes.count) == (20, 0, kept.nodes.count - 20))
        #expect(model.isTraining, "tracing leaves the model in the mode it was in")

        // Every sum and ReLU after a convolution rides along as a post-op: no step of its own.
        let program = FusedProgram(folded)
        let standalone = program.instructions.compactMap { if case .operation(let op) = $0.step { op.kind } else { nil } }
        #expect(standalone == ["maxpool", "avgpool", "fc"])
    }

    @Test func aUsersOwnBlockTracesAndRunsFusedWithoutExtraCode() throws {
        let model = UserBlockNet()
        try Self.randomiseBatchNorms(model, seed: 8)
        model.eval()
        let graph = try model.inferenceGraph(inputShape: [3, 12, 12])
        #expect(graph.nodes.map(\.name) == ["conv", "project", "add", "relu", "pool", "avgpool", "head"])
        #expect(graph.nodes[2].inputs == ["conv", "project"], "the batch norm was folded into the convolution")
        var g = SeededGenerator(seed: 9)
        let x = try Tensor.randomNormal([3, 3, 12, 12], generator: &g)
        let layerByLayer = try withoutGradients { try model(x) }.scalars
        let fused = model.fusedForInference()
        #expect(try fused.isFused(inputShape: [3, 12, 12]))
        expectClose(try fused(x).scalars, layerByLayer.map(Double.init), rtol: 1e-5, atol: 1e-5, "a user block's fused logits")
    }

    @Test func aModelThatComputesInSwiftRunsUnfusedAndCannotBeTraced() throws {
        final class Doubling: Module {
            let conv = try! Conv2D(3, 4, kernel: 3, initializer: WeightInitializer(seed: 1))
            override init() { super.init(); registerChild("conv", conv) }
            override func forward(_ x: Tensor) throws -> Tensor { try (conv(x) * 2).relu() }
        }
        let model = Doubling()
        #expect(throws: ModelError.self) { try model.inferenceGraph(inputShape: [3, 8, 8]) }
        do {
            _ = try model.inferenceGraph(inputShape: [3, 8, 8])
        } catch ModelError.untraceable(let message) {
            #expect(message.contains("relu") && message.contains("no traceable op wrote"), "\(message)")
        }
        var g = SeededGenerator(seed: 2)
        let x = try Tensor.randomNormal([1, 3, 8, 8], generator: &g)
        let fused = model.fusedForInference()
        #expect(try !fused.isFused(inputShape: [3, 8, 8]))
        #expect(try fused(x).scalars == model.inferring { try model(x) }.scalars, "an untraceable model runs as its own forward")
    }

    @Test func fusedInferenceFollowsParameterAndStatisticChanges() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 8, initializer: WeightInitializer(seed: 1))
        var g = SeededGenerator(seed: 2)
        let x = try Tensor.randomNormal([1, 3, 48, 48], generator: &g)
        model.eval()
        let fused = model.fusedForInference()
        let before = try fused(x).scalars
        // An in-place write (as an optimizer step or a checkpoint load does) must invalidate the folded copy.
        try Self.randomiseBatchNorms(model, seed: 3)
        let conv: Conv2D = try #require(model.namedModules.first { $0.name == "layer1.0.conv1" }?.module as? Conv2D)
        conv.weight.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= -1 } }
        let after = try fused(x).scalars
        let reference = try withoutGradients { try model(x) }.scalars
        #expect(after != before)
        expectClose(after, reference.map(Double.init), rtol: 1e-4, atol: 1e-4, "fused logits after the weights changed")
    }
}
