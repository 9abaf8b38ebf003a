// ONNX export checked against ONNX Runtime: five small ResNets (18 and 50, torchvision's and pre-activation variants, and
// keras-resnet's with its uneven "same" padding written as Pad, batch norms folded and kept,
// logits and probabilities), a user's own block (written with public ops only), a block with every activation of the
// efficient backbones, a MobileNetV3-Small, a reduced EfficientNet-B0 and a reduced ConvNeXt (layer norms written
// channels-last between transposes, layer scales as products) and a reduced ViT-B/16 (its position embeddings
// interpolated to the input's 3×3 patch grid; attention written out in MatMul, Softmax and Transpose) are exported; the files must equal the
// committed ones byte for byte (graph and weights unchanged), and Petal's own outputs on a fixed input must match those
// ONNX Runtime recorded for the committed files (Scripts/fixtures/onnx_fixtures.py, which also runs onnx.checker).
// With PETAL_WRITE_ONNX_FIXTURES=1 the test writes the files instead (then rerun the script).
import Foundation
@testable import PetalNN
@testable import PetalONNX
import PetalRun
import Testing

struct ONNXCase: Sendable, CustomTestStringConvertible {
    /// A ResNet, or nil for ``CustomBlock``.
    let name: String, depth: ResNet.Depth?, variant: ResNet.Variant, options: ONNXExportOptions
    var testDescription: String { name }

    static let all = [
        ONNXCase(name: "resnet18_v1_folded", depth: .r18, variant: .v1, options: ONNXExportOptions()),
        ONNXCase(name: "resnet18_preact_kept_probabilities", depth: .r18, variant: .preActivation,
                 options: ONNXExportOptions(output: .probabilities, foldBatchNorm: false)),
        ONNXCase(name: "resnet50_v1_kept_batch2", depth: .r50, variant: .v1, options: ONNXExportOptions(foldBatchNorm: false, fixedBatchSize: 2)),
        ONNXCase(name: "resnet50_preact_folded", depth: .r50, variant: .preActivation, options: ONNXExportOptions()),
        ONNXCase(name: "resnet18_keras_folded", depth: .r18, variant: .keras, options: ONNXExportOptions()),
        ONNXCase(name: "custom_block_folded", depth: nil, variant: .v1, options: ONNXExportOptions(output: .probabilities)),
        ONNXCase(name: "activations_block_folded", depth: nil, variant: .v1, options: ONNXExportOptions()),
        ONNXCase(name: "mobilenet_v3_small_folded", depth: nil, variant: .v1, options: ONNXExportOptions()),
        ONNXCase(name: "efficientnet_b0_folded", depth: nil, variant: .v1, options: ONNXExportOptions()),
        ONNXCase(name: "convnext_tiny_folded", depth: nil, variant: .v1, options: ONNXExportOptions()),
        ONNXCase(name: "vit_b_16_folded", depth: nil, variant: .v1, options: ONNXExportOptions(output: .probabilities)),
    ]

    /// A width-4, 3-class network with seeded weights and batch-norm parameters and statistics set by formula, so that
    /// folding has something to fold.
    func model() throws -> Module {
        let model: Module = try depth.map { try ResNet(depth: $0, variant: variant, classes: 3, baseWidth: 4, initializer: WeightInitializer(seed: 11)) }
            ?? (name.hasPrefix("activations") ? ActivationsBlock()
                : name.hasPrefix("mobilenet") ? try MobileNetV3(.small, classes: 3, widthMultiplier: 0.25, initializer: WeightInitializer(seed: 12))
                : name.hasPrefix("efficientnet") ? try EfficientNet(.b0, classes: 3, widthMultiplier: 0.25, depthMultiplier: 0.5, initializer: WeightInitializer(seed: 13))
                : name.hasPrefix("convnext") ? try ConvNeXt(.tiny, classes: 3, widthMultiplier: 1.0 / 12, depths: [1, 1, 2, 1], initializer: WeightInitializer(seed: 14))
                : name.hasPrefix("vit") ? try VisionTransformer(.b16, classes: 3, widthMultiplier: 1.0 / 32, layers: 2, imageSize: 64, initializer: WeightInitializer(seed: 15))
                : CustomBlock())
        var k = 0.0
        for case let bn as BatchNorm2D in model.namedModules.map(\.module) {
            let c = bn.channels
            func values(_ f: (Double) -> Double) throws -> Tensor { try Tensor(shape: [c], scalars: (0..<c).map { Float(f(k + Double($0))) }) }
            try bn.weight.assign(values { 1 + 0.2 * sin($0) })
            try bn.bias.assign(values { 0.1 * cos(1.3 * $0) })
            try bn.runningMean.assign(values { 0.1 * sin(0.7 * $0) })
            try bn.runningVariance.assign(values { 1 + 0.5 * cos($0) * cos($0) })
            k += Double(c)
        }
        // Layer norms and layer scales (ConvNeXt starts the scales at 10⁻⁶, which would hide its blocks) set by formula too.
        for module in model.namedModules.map(\.module) {
            if let norm = module as? LayerNorm {
                try norm.weight.assign(Tensor(shape: [norm.channels], scalars: (0..<norm.channels).map { Float(1 + 0.3 * sin(k + Double($0))) }))
                try norm.bias.assign(Tensor(shape: [norm.channels], scalars: (0..<norm.channels).map { Float(0.2 * cos(k + Double($0))) }))
                k += Double(norm.channels)
            }
            if let vit = module as? VisionTransformer {  // torchvision starts the head at zero
                let w = vit.head.head.weight
                try w.assign(Tensor(shape: w.shape, scalars: (0..<w.count).map { Float(0.3 * sin(1.7 * Double($0))) }))
            }
            if let block = module as? CNBlock {
                try block.layerScale.assign(Tensor(shape: block.layerScale.shape, scalars: (0..<block.layerScale.count).map { Float(0.5 + 0.3 * sin(k + Double($0))) }))
                k += Double(block.layerScale.count)
            }
        }
        model.eval()
        return model
    }

    /// The fixed input [2, 3, 48, 48]: sin(0.37·i)·2 over the flat index (the script computes the same).
    static func input() throws -> Tensor {
        try Tensor(shape: [2, 3, 48, 48], scalars: (0..<(2 * 3 * 48 * 48)).map { Float(sin(0.37 * Double($0)) * 2) })
    }
}

/// A user's own network, written with public ops only: nothing in it describes a graph for export.
final class CustomBlock: Module {
    let stem = try! Conv2D(3, 6, kernel: 3, stride: 2, padding: 1, bias: false, initializer: WeightInitializer(seed: 31))
    let norm = try! BatchNorm2D(6)
    let branch = try! Conv2D(6, 6, kernel: 3, padding: 1, initializer: WeightInitializer(seed: 32))
    let pool = AvgPool2D(kernel: 3, stride: 2, padding: 1)
    let head = try! Dense(6 * 12 * 12, 3, initializer: WeightInitializer(seed: 33))

    override init() {
        super.init()
        for (name, child) in [("stem", stem), ("norm", norm), ("branch", branch), ("pool", pool), ("head", head)] as [(String, Module)] {
            registerChild(name, child)
        }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        let h = try norm(stem(x), fusedReLU: true)
        let y = try (branch(h) + h).relu()
        return try head(pool(y).flattened())
    }
}

/// A user's block with every activation of the efficient backbones (sigmoid, hard-sigmoid, hard-swish, SiLU, GELU
/// exact and tanh), as opset 17 writes them.
final class ActivationsBlock: Module {
    let stem = try! Conv2D(3, 6, kernel: 3, stride: 2, padding: 1, bias: false, initializer: WeightInitializer(seed: 41))
    let norm = try! BatchNorm2D(6)
    let mix = try! Conv2D(6, 6, kernel: 1, initializer: WeightInitializer(seed: 42))
    let head = try! Dense(6, 3, initializer: WeightInitializer(seed: 43))

    override init() {
        super.init()
        for (name, child) in [("stem", stem), ("norm", norm), ("mix", mix), ("head", head)] as [(String, Module)] { registerChild(name, child) }
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        // Side by side rather than chained, so that each activation moves the logits on its own.
        let m = try mix(norm(stem(x)).hardSwish())
        let g = try m.silu() + m.gelu() + m.gelu(tanhApproximation: true) + m.hardSigmoid() + m.sigmoid()
        return try head(g.globalAvgPool2d())
    }
}

@Suite struct ONNXExportTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test(arguments: ONNXCase.all) func exportIsUnchangedAndMatchesONNXRuntime(_ c: ONNXCase) throws {
        let model = try c.model()
        let data = try ONNXExport.encode(model, inputShape: [3, 48, 48], classes: 3, options: c.options, metadata: ["petal.test": c.name])
        if ProcessInfo.processInfo.environment["PETAL_WRITE_ONNX_FIXTURES"] == "1" {
            try data.write(to: Self.source.appendingPathComponent(c.name + ".onnx"))
            return
        }
        let committed = try Data(contentsOf: Self.fixtures.appendingPathComponent(c.name + ".onnx"))
        #expect(data == committed, "the export of \(c.name) differs from the committed file (\(data.count) against \(committed.count) bytes)")

        struct Recorded: Decodable { let outputs: [String: [Float]] }
        let recorded = try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("onnxruntime_outputs.json")))
        let expected = try #require(recorded.outputs[c.name])
        let input = try ONNXCase.input()
        var petal = try withoutGradients { try model(input) }
        var fused = try model.fusedForInference()(input)
        if c.options.output == .probabilities { (petal, fused) = (try petal.softmax(), try fused.softmax()) }
        #expect(petal.shape == [2, 3])
        for (what, values) in [("layer by layer", petal.scalars), ("fused", fused.scalars)] {
            let difference = zip(values, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(difference <= 1e-4, "largest difference from ONNX Runtime, \(what): \(difference)")
        }
    }

    /// An int8 model (the reduced ResNet-18 quantized on the fixed input) exports as QDQ: every convolution reads the
    /// codes of its input and its int8 weights through DequantizeLinear. ONNX Runtime's outputs for the committed file
    /// (computed as the standard defines QDQ, optimisations off) equal the Double twin of Petal's program with the
    /// stored codes up to float rounding, and Petal's own run within int8's error (on a CPU without VNNI it runs the
    /// weight codes at 7 bits; the file holds 8).
    @Test func int8ModelExportsAsQDQAndMatchesONNXRuntime() throws {
        let name = "resnet18_v1_int8"
        let model = try ONNXCase.all[0].model()
        let input = try ONNXCase.input()
        let int8 = try model.quantized(calibration: [input], method: .minMax)
        let data = try ONNXExport.encode(model, inputShape: [3, 48, 48], classes: 3, quantization: int8.plan, metadata: ["petal.test": name])
        if ProcessInfo.processInfo.environment["PETAL_WRITE_ONNX_FIXTURES"] == "1" {
            try data.write(to: Self.source.appendingPathComponent(name + ".onnx"))
            return
        }
        let graph = try Onnx_ModelProto(serializedBytes: data).graph
        let writers = Dictionary(graph.node.flatMap { n in n.output.map { ($0, n.opType) } }, uniquingKeysWith: { a, _ in a })
        let convolutions = graph.node.filter { $0.opType == "Conv" }
        #expect(convolutions.count == 20 && convolutions.allSatisfy { writers[$0.input[0]] == "DequantizeLinear" && writers[$0.input[1]] == "DequantizeLinear" })
        #expect(graph.initializer.filter { $0.dataType == Int32(Onnx_TensorProto.DataType.int8.rawValue) && $0.dims.count == 4 }.count == 20)
        #expect(throws: ONNXError.self) {
            try ONNXExport.encode(model, inputShape: [3, 48, 48], classes: 3, options: ONNXExportOptions(foldBatchNorm: false), quantization: int8.plan)
        }

        struct Recorded: Decodable { let outputs: [String: [Float]] }
        let recorded = try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("onnxruntime_outputs.json")))
        let expected = try #require(recorded.outputs[name])
        // The twin with the stored (exported) codes is what ONNX Runtime computes, up to rounding; Petal's own run
        // differs from both by its 7-bit weights on a CPU without VNNI.
        let twin = try int8.program.twin(input, weights: .stored), petal = try int8(input).scalars
        let float = try withoutGradients { try model(input) }.scalars
        let spread = Double((float.max() ?? 0) - (float.min() ?? 0))
        let fromTwin = zip(twin, expected).map { abs($0 - Double($1)) }.max() ?? .infinity
        let fromPetal = zip(petal, expected).map { abs(Double($0) - Double($1)) }.max() ?? .infinity
        #expect(fromTwin <= 0.01 * spread, "largest difference of ONNX Runtime from the twin \(fromTwin), logits' spread \(spread)")
        #expect(fromPetal <= 0.15 * spread, "largest difference of ONNX Runtime from Petal \(fromPetal), logits' spread \(spread)")
    }

    @Test func unsupportedModulesAndOptionsAreNamed() throws {
        final class Identity: Module { override func forward(_ x: Tensor) throws -> Tensor { x } }
        final class Halving: Module { override func forward(_ x: Tensor) throws -> Tensor { try x * 0.5 } }
        #expect(throws: ModelError.self) { try ONNXExport.encode(Sequential(Identity()), inputShape: [3, 8, 8], classes: 2) }
        #expect(throws: ModelError.self) { try ONNXExport.encode(Sequential(Halving(), GlobalAvgPool()), inputShape: [3, 8, 8], classes: 2) }
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 2)
        #expect(throws: ONNXError.invalidOption("opset must be 17 to 21, got 9")) {
            try ONNXExport.encode(model, inputShape: [3, 32, 32], classes: 2, options: ONNXExportOptions(opset: 9))
        }
        #expect(throws: ONNXError.self) { try ONNXExport.encode(model, inputShape: [32, 32], classes: 2) }
    }
}
