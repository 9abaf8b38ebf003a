import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

/// The JSON half of a torchvision fixture made by Scripts/fixtures/resnet_fixtures.py.
struct ResNetFixture: Decodable {
    struct Values: Decodable { let shape: [Int]; let data: [Double] }
    struct GradSummary: Decodable { let shape: [Int]; let sum: Double; let sum_abs: Double; let sum_sq: Double; let first: [Double] }
    let versions: [String: String]
    let layers: [Int]
    /// "v1" (torchvision's) or "preact" (Petal's pre-activation network); absent in the v1 fixtures.
    let variant: String?
    let width: Int
    let classes: Int
    let input_file: String
    let eval_logits: Values
    let labels: [Int]
    let grad_mode: String
    let loss: Double
    let logits: Values
    let grads: [String: GradSummary]
    let full_grads: [String: Values]
    let running_after: [String: Values]
    let parameter_count: Int

    static func load(_ name: String) throws -> (ResNetFixture, weights: URL, input: Tensor) {
        let json = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        let weights = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        let inputURL = try #require(Bundle.module.url(forResource: name + ".input", withExtension: "safetensors", subdirectory: "Fixtures"))
        let input = try #require(try SafeTensors(data: Data(contentsOf: inputURL), source: inputURL.path)["input"])
        return (try JSONDecoder().decode(ResNetFixture.self, from: Data(contentsOf: json)), weights, input)
    }
}

@Suite struct ResNetTests {
    @Test func parameterCountsEqualTorchvisionsAndTheKerasBuildersForEveryDepth() throws {
        let url = try #require(Bundle.module.url(forResource: "param_counts", withExtension: "json", subdirectory: "Fixtures"))
        let counts = try JSONDecoder().decode([String: AnyDecodableCounts].self, from: Data(contentsOf: url))
        let torchvision: [ResNet.Depth: Int] = [.r18: 11_689_512, .r34: 21_797_672, .r50: 25_557_032, .r101: 44_549_160, .r152: 60_192_808]
        for depth in ResNet.Depth.allCases {
            let v1 = try ResNet(depth: depth, variant: .v1, classes: 1000, initializer: .skip)
            #expect(v1.parameterCount == torchvision[depth], "ResNet-\(depth.rawValue) v1")
            #expect(v1.parameterCount == counts["torchvision_v1"]?.values["\(depth.rawValue)"])
            let pre = try ResNet(depth: depth, variant: .preActivation, classes: 1000, initializer: .skip)
            #expect(pre.parameterCount == counts["preactivation"]?.values["\(depth.rawValue)"], "ResNet-\(depth.rawValue) pre-activation")
        }
    }

    /// torchvision's ResNets, and Petal's default pre-activation network written independently in PyTorch
    /// (Scripts/fixtures/resnet_fixtures.py, section 3).
    @Test(arguments: ["resnet18_w8", "resnet50_w4", "preact_resnet18_w8", "preact_resnet50_w4"])
    func reproducesPyTorchFromItsSafetensorsFile(name: String) throws {
        let (f, weights, x) = try ResNetFixture.load(name)
        let depth: ResNet.Depth = f.layers == [2, 2, 2, 2] ? .r18 : .r50
        let variant: ResNet.Variant = f.variant == "preact" ? .preActivation : .v1
        let model = try ResNet(depth: depth, variant: variant, classes: f.classes, baseWidth: f.width, initializer: WeightInitializer(seed: 99))
        #expect(model.parameterCount == f.parameter_count)
        try model.load(from: weights)

        model.eval()
        let evalLogits = try withoutGradients { try model(x) }
        expectClose(evalLogits.scalars, f.eval_logits.data, rtol: 1e-4, atol: 1e-5, "eval logits")
        expectClose(try model.fusedForInference()(x).scalars, f.eval_logits.data, rtol: 1e-4, atol: 1e-5, "fused eval logits")

        model.setTraining(f.grad_mode == "train")
        let logits = try model(x)
        let loss = try logits.softmaxCrossEntropy(labels: f.labels)
        try loss.backward()
        expectClose(logits.scalars, f.logits.data, rtol: 1e-4, atol: 1e-5, "\(f.grad_mode)-mode logits")
        #expect(abs(Double(try loss.item()) - f.loss) < 1e-4 * f.loss)
        let params = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor) })
        #expect(Set(params.keys) == Set(f.grads.keys))
        for (pname, expected) in f.full_grads {
            let g = try #require(params[pname]?.grad, "no gradient for \(pname)")
            expectClose(g.scalars, expected.data, rtol: 1e-3, atol: 1e-5, "grad \(pname)")
        }
        for (pname, s) in f.grads {
            let g = try #require(params[pname]?.grad, "no gradient for \(pname)").scalars.map(Double.init)
            // A bias just before a training-mode batch norm (the pre-activation network's) has a gradient of exactly
            // zero: the normalisation removes any shift. float32 leaves rounding noise there.
            if s.sum_abs < 1e-12 {
                #expect(g.allSatisfy { abs($0) < 1e-5 }, "grad \(pname) is zero in PyTorch, got up to \(g.map(abs).max() ?? 0)")
                continue
            }
            let scale = s.sum_abs / Double(g.count) + 1e-6
            #expect(abs(g.reduce(0, +) - s.sum) <= 1e-3 * s.sum_abs + 1e-6, "Σ grad \(pname)")
            #expect(abs(g.reduce(0) { $0 + abs($1) } - s.sum_abs) <= 1e-3 * s.sum_abs + 1e-6, "Σ|grad| \(pname)")
            #expect(abs(g.reduce(0) { $0 + $1 * $1 } - s.sum_sq) <= 2e-3 * s.sum_sq + 1e-9, "Σ grad² \(pname)")
            expectClose(Array(g.prefix(8)).map(Float.init), s.first, rtol: 1e-3, atol: 1e-3 * scale, "first grads \(pname)")
        }
        let buffers = Dictionary(uniqueKeysWithValues: model.namedBuffers.map { ($0.name, $0.tensor) })
        for (bname, expected) in f.running_after {
            expectClose(try #require(buffers[bname]).scalars, expected.data, rtol: 1e-4, atol: 1e-6, bname)
        }
    }

    @Test func namesFollowTorchvision() throws {
        let m = try ResNet(depth: .r18, classes: 2)
        let names = m.stateDict.map(\.name)
        #expect(names.prefix(7) == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight"])
        #expect(names.contains("layer2.0.downsample.0.weight") && names.contains("layer2.0.downsample.1.running_var"))
        #expect(names.suffix(2) == ["fc.weight", "fc.bias"])
        let pre = try ResNet(depth: .r18, variant: .preActivation, classes: 2)
        let preNames = pre.stateDict.map(\.name)
        #expect(!preNames.contains("layer1.0.bn1.weight"), "the first pre-activation block has no BN before its first conv")
        #expect(preNames.contains("layer1.1.bn1.weight") && preNames.contains("bn_final.weight") && preNames.contains("layer2.0.downsample.0.bias"))
    }

    @Test(arguments: ResNet.Variant.allCases)
    func runsAtTheTutorialsInputSizeAndStartsBalanced(variant: ResNet.Variant) throws {
        let m = try ResNet(depth: .r18, variant: variant, classes: 2, baseWidth: 8)
        let x = try Tensor.randomNormal([2, 3, 100, 100], generator: &SeededGenerator.test)
        let p = try m.predictProbabilities(x)
        #expect(p.shape == [2, 2])
        for row in 0..<2 { #expect(abs(p[row, 0] + p[row, 1] - 1) < 1e-5) }
        #expect(m.isTraining, "predictProbabilities restores the mode")
        let loss = try m(x).softmaxCrossEntropy(labels: [0, 1])
        try loss.backward()
        #expect(m.parameters.allSatisfy { $0.grad != nil }, "every parameter receives a gradient")
    }

    @Test func zeroInitialisedLastBatchNormMakesBlocksIdentities() throws {
        let m = try ResNet(depth: .r18, classes: 2, baseWidth: 8, zeroInitLastBatchNorm: true)
        let gammas = m.namedParameters.filter { $0.name.hasSuffix("bn2.weight") && $0.name.hasPrefix("layer") }
        #expect(gammas.count == 8 && gammas.allSatisfy { $0.tensor.scalars.allSatisfy { $0 == 0 } })
    }

    @Test func badConfigurationsAndInputsThrow() throws {
        #expect(throws: ModelError.self) { try ResNet(depth: .r18, classes: 0) }
        #expect(throws: ModelError.self) { try ResNet(depth: .r18, classes: 2, baseWidth: 0) }
        #expect(ResNet.Depth(name: "resnet50") == .r50 && ResNet.Depth(name: "r18") == .r18 && ResNet.Depth(name: "resnet19") == nil)
        let m = try ResNet(depth: .r18, classes: 2, baseWidth: 4)
        #expect(throws: TensorError.self) { try m(Tensor.zeros([1, 1, 32, 32])) }
    }

    @Test func summaryListsLayersShapesAndTotals() throws {
        let m = try ResNet(depth: .r18, classes: 2, baseWidth: 8)
        let s = try m.summary(inputShape: [1, 3, 100, 100])
        #expect(s.contains("conv1") && s.contains("Conv2D(3→8, kernel 7, stride 2, padding 3)") && s.contains("[1, 8, 50, 50]"))
        #expect(s.contains("layer4.1.bn2") && s.contains("[1, 64, 4, 4]"))
        #expect(s.contains("fc") && s.contains("[1, 2]"))
        #expect(s.contains("Total parameters: \(m.parameterCount.formatted())"))
    }
}

/// Decodes `{"18": n, ...}` tables and skips the other fields of param_counts.json.
struct AnyDecodableCounts: Decodable {
    let values: [String: Int]
    init(from decoder: Decoder) throws { values = (try? decoder.singleValueContainer().decode([String: Int].self)) ?? [:] }
}

extension SeededGenerator {
    nonisolated(unsafe) static var test = SeededGenerator(seed: 2024)
}
