// MobileNetV3 against torchvision's own: reduced-width Small and Large built by torchvision's constructors
// (Scripts/fixtures/mobilenet_fixtures.py) load by their names and give PyTorch's eval logits, training-mode logits
// and loss, every gradient and the batch-norm statistics after the step.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

@Suite struct MobileNetV3Tests {
    static func fixture(_ name: String) throws -> SafeTensors {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors(data: Data(contentsOf: url), source: url.path)
    }

    @Test(arguments: [("mobilenet_v3_small_w025", MobileNetV3.Size.small), ("mobilenet_v3_large_w025", .large)])
    func reproducesTorchvision(name: String, size: MobileNetV3.Size) throws {
        let expected = try Self.fixture(name + ".expected")
        func value(_ key: String) throws -> Tensor { try #require(expected[key], "the fixture has no \(key)") }
        let model = try MobileNetV3(size, classes: 3, widthMultiplier: 0.25, dropout: 0, initializer: .skip)
        let gradients = expected.tensors.filter { $0.name.hasPrefix("grad.") }
        #expect(model.parameterCount == gradients.reduce(0) { $0 + $1.tensor.count }, "torchvision's parameter count")
        try model.load(try Self.fixture(name), source: name)  // strict: every name is torchvision's
        let x = try value("input")

        let eval = try model.inferring { try model(x) }
        expectClose(eval.scalars, try value("eval_logits").scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "eval logits")
        expectClose(try model.fusedForInference()(x).scalars, try value("eval_logits").scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "fused eval logits")

        model.train()
        let logits = try model(x)
        let loss = try logits.softmaxCrossEntropy(labels: [0, 2])
        try loss.backward()
        expectClose(logits.scalars, try value("train_logits").scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "training-mode logits")
        expectClose([try loss.item()], try value("loss").scalars.map(Double.init), rtol: 1e-5, atol: 1e-6, "loss")
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor) })
        #expect(Set(parameters.keys) == Set(gradients.map { String($0.name.dropFirst("grad.".count)) }))
        for (key, g) in gradients {
            let pname = String(key.dropFirst("grad.".count))
            let mine = try #require(parameters[pname]?.grad, "no gradient for \(pname)")
            let scale = g.scalars.map { Double(abs($0)) }.max() ?? 0
            expectClose(mine.scalars, g.scalars.map(Double.init), rtol: 1e-3, atol: 1e-4 * scale + 1e-7, "grad \(pname)")
        }
        let buffers = Dictionary(uniqueKeysWithValues: model.namedBuffers.map { ($0.name, $0.tensor) })
        for (key, b) in expected.tensors where key.hasPrefix("running.") {
            let bname = String(key.dropFirst("running.".count))
            expectClose(try #require(buffers[bname]).scalars, b.scalars.map(Double.init), rtol: 1e-4, atol: 1e-6, bname)
        }
    }

    @Test func widthsRoundAsTorchvisionRoundsThem() {
        let (small, last) = MobileNetV3.blocks(.small, widthMultiplier: 0.25)
        #expect(small.map(\.expandedChannels) == [8, 24, 24, 24, 64, 64, 32, 40, 72, 144, 144] && last == 256)
        let (large, lastLarge) = MobileNetV3.blocks(.large)
        #expect(large.count == 15 && large.last?.outputChannels == 160 && lastLarge == 1280)
    }
}
