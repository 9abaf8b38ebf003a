// The backbones' activations against naive Double twins, with finite-difference gradients, in plain and blocked layouts.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalTensor

@Suite struct ActivationTests {
    /// Each activation as PyTorch defines it, in Double.
    static func twin(_ a: Activation, _ x: Double) -> Double {
        let sigmoid = 1 / (1 + exp(-x))
        return switch a {
        case .sigmoid: sigmoid
        case .hardSigmoid: min(max(x / 6 + 0.5, 0), 1)
        case .hardSwish: x * min(max(x + 3, 0), 6) / 6
        case .silu: x * sigmoid
        case .gelu: x * 0.5 * (1 + erf(x / 2.0.squareRoot()))
        case .geluTanh: 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
    }

    @Test(arguments: Activation.allCases) func valuesAndGradientsMatchTheDefinition(_ activation: Activation) throws {
        // Wide enough to cross hard-swish's and hard-sigmoid's kinks at ±3; no value lands within 1e-3 of them.
        let x = try randomTensor([2, 3, 4, 5], seed: 31, scale: 3)
        #expect(x.scalars.allSatisfy { abs(abs($0) - 3) > 1e-3 })
        try checkGradients([x], petal: { try $0[0].activated(activation) }, reference: { $0[0].map { Self.twin(activation, $0) } })
    }

    /// On a convolution's blocked output the activation computes in that layout and gives the same values.
    @Test(arguments: Activation.allCases) func blockedInputsGiveThePlainValues(_ activation: Activation) throws {
        let x = try randomTensor([16, 16, 6, 6], seed: 32), w = try randomTensor([16, 16, 3, 3], seed: 33, scale: 0.3).requiringGradient()
        let y = try x.conv2d(weight: w, padding: 1)
        #expect(!y.storage.isPlain, "the convolution's output is in a blocked layout")
        let plain = try Tensor(shape: y.shape, scalars: y.scalars)
        expectClose(try y.activated(activation).scalars, try plain.activated(activation).scalars.map(Double.init), rtol: 1e-6, atol: 1e-6, "\(activation)")
    }
}
