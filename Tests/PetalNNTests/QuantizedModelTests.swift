// Post-training quantization of whole models: a reduced ResNet's int8 logits against a twin that computes every int8
// convolution in Double from the same codes and parameters (and the fp32 steps as the fused program does), and the
// int8 models of several families against their fp32 logits.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN
@testable import PetalTensor

@Suite struct QuantizedModelTests {
    static func images(_ count: Int, side: Int, seed: UInt64) throws -> Tensor {
        var g = SeededGenerator(seed: seed)
        return try Tensor.randomNormal([count, 3, side, side], generator: &g)
    }

    @Test(arguments: [false, true])
    func reducedResNetMatchesItsTwinAndStaysNearFloat(keepingFirstConvolution: Bool) throws {
        let model = try ResNet(depth: .r18, classes: 5, baseWidth: 8, initializer: WeightInitializer(seed: 21))
        model.eval()
        let calibration = try [Self.images(8, side: 32, seed: 1), Self.images(8, side: 32, seed: 2)]
        let int8 = try model.quantized(calibration: calibration, method: .minMax, keepingFirstConvolution: keepingFirstConvolution)
        let x = try Self.images(4, side: 32, seed: 3)
        let got = try int8(x).scalars.map { Double($0) }
        let expected = try int8.program.twin(x, weights: .runtime)
        let float = try withoutGradients { try model(x) }.scalars.map { Double($0) }
        let spread = float.max()! - float.min()!
        let twinError = zip(got, expected).map { abs($0 - $1) }.max()!
        let floatError = zip(got, float).map { abs($0 - $1) }.max()!
        #expect(twinError <= 0.001 * spread, "int8 vs twin \(twinError), spread \(spread)")
        #expect(floatError <= 0.1 * spread, "int8 vs fp32 \(floatError), spread \(spread)")
        // Every convolution runs int8 but the stem when it is kept, and the max pooling reads codes unless the stem is fp32.
        let convolutions = int8.program.instructions.filter { if case .convolution = $0.step { true } else { false } }.count
        #expect(convolutions == (keepingFirstConvolution ? 19 : 20))
        #expect(int8.program.instructions.contains { if case .maxPool = $0.step { true } else { false } } == !keepingFirstConvolution)
        #expect(int8.record.activationRanges["input"].map { $0[0] < 0 && $0[1] > 0 } == true)
        #expect(throws: ModelError.self) { try int8(Self.images(1, side: 40, seed: 4)) }
        #expect(throws: ModelError.self) { try model.quantized(calibration: []) }
    }
}
