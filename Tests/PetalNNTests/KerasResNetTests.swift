// The tutorial's network against Keras 3 itself: keras-resnet's ResNet-18 structure at width 4
// (Scripts/fixtures/keras_resnet_fixtures.py) loads into `ResNet(variant: .keras)` and gives Keras' eval logits, its
// training-mode logits and loss with the l2(1e-4) kernel penalties, every gradient of that loss, and the batch-norm
// statistics Keras' momentum and biased variance leave after the step. 64-pixel inputs make every "same" padding odd.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

@Suite struct KerasResNetTests {
    @Test func reproducesKerasResNet18() throws {
        let expected = try MobileNetV3Tests.fixture("keras_resnet18_w4.expected")
        func value(_ key: String) throws -> Tensor { try #require(expected[key], "the fixture has no \(key)") }
        let model = try ResNet(depth: .r18, variant: .keras, classes: 3, baseWidth: 4, initializer: .skip)
        let gradients = expected.tensors.filter { $0.name.hasPrefix("grad.") }
        #expect(model.parameterCount == gradients.reduce(0) { $0 + $1.tensor.count }, "Keras' trainable weight count")
        try model.load(try MobileNetV3Tests.fixture("keras_resnet18_w4"), source: "keras_resnet18_w4")
        let x = try value("input")

        let eval = try model.inferring { try model(x) }
        expectClose(eval.scalars, try value("eval_logits").scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "eval logits")
        expectClose(try model.fusedForInference()(x).scalars, try value("eval_logits").scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "fused eval logits")

        model.train()
        let logits = try model(x)
        let loss = try logits.softmaxCrossEntropy(labels: [0, 2, 1, 2]) + #require(try model.regularizationLoss())
        try loss.backward()
        expectClose(logits.scalars, try value("train_logits").scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "training-mode logits")
        expectClose([try loss.item()], try value("loss").scalars.map(Double.init), rtol: 1e-5, atol: 1e-6, "loss with the L2 penalties")
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor) })
        #expect(Set(parameters.keys) == Set(gradients.map { String($0.name.dropFirst("grad.".count)) }))
        for (key, g) in gradients {
            let pname = String(key.dropFirst("grad.".count))
            let mine = try #require(parameters[pname]?.grad, "no gradient for \(pname)")
            let scale = g.scalars.map { Double(abs($0)) }.max() ?? 0
            // A convolution bias that a training-mode batch norm follows has a zero gradient: both sides hold rounding
            // (about 1e-7 against 5e-10), so the floor is absolute there.
            expectClose(mine.scalars, g.scalars.map(Double.init), rtol: 1e-3, atol: 1e-4 * scale + 1e-6, "grad \(pname)")
        }
        let buffers = Dictionary(uniqueKeysWithValues: model.namedBuffers.map { ($0.name, $0.tensor) })
        for (key, b) in expected.tensors where key.hasPrefix("running.") {
            let bname = String(key.dropFirst("running.".count))
            expectClose(try #require(buffers[bname]).scalars, b.scalars.map(Double.init), rtol: 1e-4, atol: 1e-6, bname)
        }
    }
}
