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

    /// The quantized program computed in Double: int8 convolutions from their runtime codes (rounding each output to its
    /// codes when the program keeps codes), max pooling on values, and the fp32 steps run as the fused program runs them.
    static func twin(_ program: QuantizedProgram, _ x: Tensor) throws -> [Double] {
        var values = [[Double]?](repeating: nil, count: program.valueCount), shapes = [[Int]](repeating: [], count: program.valueCount)
        values[0] = x.scalars.map(Double.init)
        shapes[0] = x.shape
        /// A value as the codes of its parameters hold it.
        func coded(_ v: Int) -> [Double] {
            let p = program.parameters[v]!
            return values[v]!.map { Double(p.value(p.code(Float($0)))) }
        }
        for instruction in program.instructions {
            let (inputs, out) = (instruction.inputs, instruction.output)
            switch instruction.step {
            case .convolution(let conv, let relu, let output):
                let p = program.parameters[inputs[0]]!
                let codes = values[inputs[0]]!.map { Double(Int32(p.code(Float($0))) - p.zeroPoint) }
                let (weights, scales) = conv.runtimeWeights
                let sums = Naive.conv2d(codes, shapes[inputs[0]], weights.map(Double.init), conv.weightShape, nil, stride: conv.stride,
                                        padding: conv.padding, dilation: conv.dilation, groups: conv.groups)
                let residual = inputs.count > 1 ? (output != nil ? coded(inputs[1]) : values[inputs[1]]!) : nil
                let plane = sums.shape[2] * sums.shape[3]
                var y = sums.values.enumerated().map { i, acc in
                    let o = i / plane % sums.shape[1]
                    let v = Double(p.scale) * Double(scales[o]) * acc + Double(conv.bias[o]) + (residual?[i] ?? 0)
                    return relu ? max(v, 0) : v
                }
                if let output { y = y.map { Double(output.value(output.code(Float($0)))) } }
                (values[out], shapes[out]) = (y, sums.shape)
            case .maxPool(let kernel, let stride, let padding, let ceilMode):
                let t = try Tensor(shape: shapes[inputs[0]], scalars: coded(inputs[0]).map(Float.init))
                let pooled = try t.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
                (values[out], shapes[out]) = (pooled.scalars.map(Double.init), pooled.shape)
            case .float(let step):
                let tensors = try inputs.map { try Tensor(shape: shapes[$0], scalars: values[$0]!.map(Float.init)) }
                let result = try withoutGradients { try step.run(tensors) }
                (values[out], shapes[out]) = (result.scalars.map(Double.init), result.shape)
            }
        }
        return values[program.output]!
    }

    @Test(arguments: [false, true])
    func reducedResNetMatchesItsTwinAndStaysNearFloat(keepingFirstConvolution: Bool) throws {
        let model = try ResNet(depth: .r18, classes: 5, baseWidth: 8, initializer: WeightInitializer(seed: 21))
        model.eval()
        let calibration = try [Self.images(8, side: 32, seed: 1), Self.images(8, side: 32, seed: 2)]
        let int8 = try model.quantized(calibration: calibration, method: .minMax, keepingFirstConvolution: keepingFirstConvolution)
        let x = try Self.images(4, side: 32, seed: 3)
        let got = try int8(x).scalars.map { Double($0) }
        let expected = try Self.twin(int8.program, x)
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
