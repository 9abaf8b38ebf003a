// The contract every layer keeps, checked the same way for each: it builds the same twice, has the parameters it says,
// gives the shape it says, survives a state-dict round trip, learns (every parameter gets a gradient and one small
// SGD step lowers a loss), is deterministic in inference without touching its state, and runs fused as it runs plain.
import Foundation
import PetalNN
import Testing

/// What a layer under contract is and does.
public struct LayerCase: CustomTestStringConvertible, Sendable {
    /// Names the case in test output.
    public let name: String
    /// Builds the layer (called several times; the same weights each time).
    public let make: @Sendable () throws -> Module
    /// The input shape and the output shape it gives.
    public let input: [Int], output: [Int]
    /// Trainable scalars.
    public let parameterCount: Int

    public init(_ name: String, input: [Int], output: [Int], parameters: Int, make: @escaping @Sendable () throws -> Module) {
        (self.name, self.input, self.output, self.parameterCount, self.make) = (name, input, output, parameters, make)
    }

    public var testDescription: String { name }
}

/// Checks `layer` against the contract, recording each broken clause as a test issue.
public func checkLayerContract(_ layer: LayerCase, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let name = layer.name
    var g = SeededGenerator(seed: 11)
    let x = try Tensor.randomNormal(layer.input, generator: &g)
    // A fixed linear loss Σ y·r, whose gradient reaches every output.
    let r = try Tensor.randomNormal(layer.output, generator: &g)
    func loss(_ m: Module, _ input: Tensor) throws -> Tensor { try (m(input) * r).sum() }

    // Builds the same twice, with the parameters and output shape it says.
    let a = try layer.make(), b = try layer.make()
    #expect(a.stateDict.map(\.name) == b.stateDict.map(\.name) && zip(a.stateDict, b.stateDict).allSatisfy { $0.tensor.scalars == $1.tensor.scalars },
            "\(name): two builds differ", sourceLocation: sourceLocation)
    #expect(a.parameterCount == layer.parameterCount, "\(name): \(a.parameterCount) parameters, expected \(layer.parameterCount)", sourceLocation: sourceLocation)
    #expect(try a(x).shape == layer.output, "\(name): training output shape", sourceLocation: sourceLocation)
    #expect(try a.inferring { try a(x) }.shape == layer.output, "\(name): inference output shape", sourceLocation: sourceLocation)

    // Learns: every parameter and the input get a finite, non-zero gradient, and a small step against it lowers the loss.
    let input = x.requiringGradient()
    a.zeroGrad()
    let before = try loss(a, input)
    try before.backward()
    for (parameter, tensor) in a.namedParameters {
        let gradient = tensor.grad?.scalars ?? []
        #expect(gradient.count == tensor.count && gradient.allSatisfy(\.isFinite) && gradient.contains { $0 != 0 },
                "\(name): parameter \(parameter) got no usable gradient", sourceLocation: sourceLocation)
    }
    #expect(input.grad?.scalars.contains { $0 != 0 } == true, "\(name): no gradient reached the input", sourceLocation: sourceLocation)
    if !a.namedParameters.isEmpty {
        let squaredNorm = a.parameters.reduce(Float(0)) { $0 + ($1.grad?.scalars.reduce(0) { $0 + $1 * $1 } ?? 0) }
        let step = 1e-3 * max(abs(before.scalars[0]), 1) / max(squaredNorm, 1e-12)  // lowers the loss by ~0.1 % to first order
        for p in a.parameters { if let gradient = p.grad { try p.assign(p - gradient * step) } }
        let after = try withoutGradients { try loss(a, x) }
        #expect(after.scalars[0] < before.scalars[0], "\(name): one SGD step did not lower the loss (\(before.scalars[0]) → \(after.scalars[0]))",
                sourceLocation: sourceLocation)
    }
    a.zeroGrad()

    // Non-trivial state, then a state-dict round trip through a file: another build loaded from it computes the same.
    for (_, t) in a.namedBuffers where t.count > 0 {
        try t.assign(Tensor.randomUniform(t.shape, low: 0.5, high: 1.5, generator: &g))
    }
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("petal-contract-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: file) }
    try a.save(to: file)
    _ = try b.load(from: file)
    #expect(a.stateDict.map(\.name) == b.stateDict.map(\.name) && zip(a.stateDict, b.stateDict).allSatisfy { $0.tensor.scalars == $1.tensor.scalars },
            "\(name): the state dict did not round-trip", sourceLocation: sourceLocation)

    // Inference is deterministic, leaves the state alone, and the fused model computes the same.
    let state = a.stateDict.map { $0.tensor.scalars }
    let first = try a.inferring { try a(x) }.scalars, second = try a.inferring { try a(x) }.scalars
    #expect(first == second, "\(name): two inference passes differ", sourceLocation: sourceLocation)
    #expect(try b.inferring { try b(x) }.scalars == first, "\(name): the loaded copy infers differently", sourceLocation: sourceLocation)
    #expect(a.stateDict.map { $0.tensor.scalars } == state, "\(name): inference changed the state", sourceLocation: sourceLocation)
    let fused = try a.fusedForInference()(x).scalars
    let scale = max(first.map { abs($0) }.max() ?? 1, 1)
    let worst = zip(fused, first).map { abs($0 - $1) }.max() ?? .infinity
    #expect(fused.count == first.count && worst <= 1e-4 * scale, "\(name): fused inference differs by \(worst)", sourceLocation: sourceLocation)
}
