// One check for every fixture a reference framework made of a model (PyTorch's torchvision, Keras 3): its input, eval
// logits, training-mode logits and loss, every parameter's gradient ("grad.<name>") and every batch-norm statistic after
// the step ("running.<name>").
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

enum ReferenceFixture {
    /// A fixture file of the test bundle.
    static func load(_ name: String) throws -> SafeTensors {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"))
        return try SafeTensors(data: Data(contentsOf: url), source: url.path)
    }

    /// Checks `model` (with the fixture's weights loaded) against `expected`: eval logits plain and fused, then one
    /// training-mode pass on `labels` whose loss adds the model's regularisation losses (Keras counts them),
    /// its gradients and the batch-norm statistics it leaves. `gradientFloor` is the absolute tolerance of a gradient
    /// that is zero in exact arithmetic (a bias before a training-mode batch norm); each gradient may also differ by
    /// `gradientScale` times its tensor's largest value.
    static func expectMatches(_ model: Module, _ expected: SafeTensors, labels: [Int], gradientFloor: Double = 1e-7, gradientScale: Double = 1e-4,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        func value(_ key: String) throws -> Tensor { try #require(expected[key], "the fixture has no \(key)", sourceLocation: sourceLocation) }
        let gradients = expected.tensors.filter { $0.name.hasPrefix("grad.") }
        #expect(model.parameterCount == gradients.reduce(0) { $0 + $1.tensor.count }, "the reference's parameter count", sourceLocation: sourceLocation)
        let x = try value("input"), evalLogits = try value("eval_logits").scalars.map(Double.init)

        model.eval()
        expectClose(try model.inferring { try model(x) }.scalars, evalLogits, rtol: 1e-4, atol: 1e-5, "eval logits")
        expectClose(try model.fusedForInference()(x).scalars, evalLogits, rtol: 1e-4, atol: 1e-5, "fused eval logits")

        model.train()
        let logits = try model(x)
        var loss = try logits.softmaxCrossEntropy(labels: labels)
        if let penalty = try model.regularizationLoss() { loss = try loss + penalty }
        try loss.backward()
        expectClose(logits.scalars, try value("train_logits").scalars.map(Double.init), rtol: 1e-4, atol: 1e-5, "training-mode logits")
        expectClose([try loss.item()], try value("loss").scalars.map(Double.init), rtol: 1e-5, atol: 1e-6, "loss")
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.tensor) })
        #expect(Set(parameters.keys) == Set(gradients.map { String($0.name.dropFirst("grad.".count)) }), sourceLocation: sourceLocation)
        for (key, g) in gradients {
            let name = String(key.dropFirst("grad.".count))
            let mine = try #require(parameters[name]?.grad, "no gradient for \(name)", sourceLocation: sourceLocation)
            let scale = g.scalars.map { Double(abs($0)) }.max() ?? 0
            expectClose(mine.scalars, g.scalars.map(Double.init), rtol: 1e-3, atol: gradientScale * scale + gradientFloor, "grad \(name)")
        }
        let buffers = Dictionary(uniqueKeysWithValues: model.namedBuffers.map { ($0.name, $0.tensor) })
        for (key, b) in expected.tensors where key.hasPrefix("running.") {
            let name = String(key.dropFirst("running.".count))
            expectClose(try #require(buffers[name], sourceLocation: sourceLocation).scalars, b.scalars.map(Double.init), rtol: 1e-4, atol: 1e-6, name)
        }
    }
}
