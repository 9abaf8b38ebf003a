// ONNX export checked against ONNX Runtime: four small ResNets (18 and 50, both variants, batch norms folded and kept,
// logits and probabilities) are exported; the files must equal the committed ones byte for byte (graph and weights
// unchanged), and Petal's own outputs on a fixed input must match those ONNX Runtime recorded for the committed files
// (Scripts/fixtures/onnx_fixtures.py, which also runs onnx.checker). With PETAL_WRITE_ONNX_FIXTURES=1 the test
// writes the files instead (then rerun the script).
import Foundation
import PetalONNX
import PetalRun
import Testing

struct ONNXCase: Sendable, CustomTestStringConvertible {
    let name: String, depth: ResNet.Depth, variant: ResNet.Variant, options: ONNXExportOptions
    var testDescription: String { name }

    static let all = [
        ONNXCase(name: "resnet18_v1_folded", depth: .r18, variant: .v1, options: ONNXExportOptions()),
        ONNXCase(name: "resnet18_preact_kept_probabilities", depth: .r18, variant: .preActivation,
                 options: ONNXExportOptions(output: .probabilities, foldBatchNorm: false)),
        ONNXCase(name: "resnet50_v1_kept_batch2", depth: .r50, variant: .v1, options: ONNXExportOptions(foldBatchNorm: false, fixedBatchSize: 2)),
        ONNXCase(name: "resnet50_preact_folded", depth: .r50, variant: .preActivation, options: ONNXExportOptions()),
    ]

    /// A width-4, 3-class network with seeded weights and batch-norm parameters and statistics set by formula, so that
    /// folding has something to fold.
    func model() throws -> ResNet {
        let model = try ResNet(depth: depth, variant: variant, classes: 3, baseWidth: 4, initializer: WeightInitializer(seed: 11))
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
        model.eval()
        return model
    }

    /// The fixed input [2, 3, 48, 48]: sin(0.37·i)·2 over the flat index (the script computes the same).
    static func input() throws -> Tensor {
        try Tensor(shape: [2, 3, 48, 48], scalars: (0..<(2 * 3 * 48 * 48)).map { Float(sin(0.37 * Double($0)) * 2) })
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
        var petal = try withoutGradients { try model(ONNXCase.input()) }
        if c.options.output == .probabilities { petal = try petal.softmax() }
        #expect(petal.shape == [2, 3])
        let difference = zip(petal.scalars, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference <= 1e-4, "largest difference from ONNX Runtime: \(difference)")
    }

    @Test func unsupportedModulesAndOptionsAreNamed() throws {
        final class Opaque: Module { override func forward(_ x: Tensor) throws -> Tensor { x } }
        #expect(throws: ModelError.self) { try ONNXExport.encode(Sequential(Opaque()), inputShape: [3, 8, 8], classes: 2) }
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 2)
        #expect(throws: ONNXError.invalidOption("opset must be 17 to 21, got 9")) {
            try ONNXExport.encode(model, inputShape: [3, 32, 32], classes: 2, options: ONNXExportOptions(opset: 9))
        }
        #expect(throws: ONNXError.self) { try ONNXExport.encode(model, inputShape: [32, 32], classes: 2) }
    }
}
