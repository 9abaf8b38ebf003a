// The int8 ops against twins computed in Double from the same codes and parameters: quantizing and dequantizing,
// convolution (with zero points, a residual in other parameters, ReLU, groups, stride) and max pooling.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalTensor

@Suite struct QuantizedConvolutionTests {
    /// Uniform values in [low, high) of `shape`.
    static func values(_ shape: [Int], _ low: Float, _ high: Float, seed: UInt64) throws -> Tensor {
        var g = SeededGenerator(seed: seed)
        return try Tensor.randomUniform(shape, low: low, high: high, generator: &g)
    }

    @Test func quantizingRoundsToTheNearestCodeAndDequantizingInvertsIt() throws {
        // Large enough for oneDNN's jit reorders, which ignored a source zero point (dequantizing is done in Swift for it).
        let x = try Self.values([16, 64, 25, 25], -1.5, 3, seed: 1)
        let p = try QuantizationParameters(covering: -1, 2)  // values beyond the range saturate
        #expect(p.zeroPoint == 85 && abs(p.scale - 3 / 255) < 1e-9)
        let q = try x.quantized(p)
        let expected = x.scalars.map(p.code)
        #expect(zip(q.codes, expected).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
        #expect(zip(q.codes, expected).filter { $0 != $1 }.count <= expected.count / 100)
        #expect(q.codes.contains(0) && q.codes.contains(255))
        let back = q.dequantized().scalars
        #expect(zip(back, q.codes).allSatisfy { abs($0 - p.value($1)) <= 1e-6 })
        #expect(throws: TensorError.self) { try QuantizationParameters(covering: 0, .infinity) }
        #expect(throws: TensorError.self) { try x.reshaped([10, 12]).quantized(p) }
    }

    /// The int8 convolution in Double: Σ (x − zx)·w over the runtime codes, scaled, plus bias and residual, ReLU.
    static func twin(_ x: QuantizedTensor, _ conv: QuantizedConvolution, residual: QuantizedTensor?, relu: Bool) -> (values: [Double], shape: [Int]) {
        let (codes, scales) = conv.runtimeWeights
        let xs = x.codes.map { Double(Int32($0) - x.parameters.zeroPoint) }
        let sums = Naive.conv2d(xs, x.shape, codes.map(Double.init), conv.weightShape, nil, stride: conv.stride, padding: conv.padding,
                                dilation: conv.dilation, groups: conv.groups)
        let plane = sums.shape[2] * sums.shape[3], channels = sums.shape[1]
        let r = residual.map { r in r.codes.map { Double(r.parameters.scale) * Double(Int32($0) - r.parameters.zeroPoint) } }
        let values = sums.values.enumerated().map { i, acc in
            let o = i / plane % channels
            let y = Double(x.parameters.scale) * Double(scales[o]) * acc + Double(conv.bias[o]) + (r?[i] ?? 0)
            return relu ? max(y, 0) : y
        }
        return (values, sums.shape)
    }

    /// `signed`: the input and residual take negative values too (zero points inside the codes), else they start at 0
    /// (zero points 0, as after a ReLU).
    @Test(arguments: [(groups: 1, stride: 1, residual: false, relu: true, signed: true), (1, 2, false, false, true), (1, 1, true, true, true),
                      (1, 1, true, false, true), (1, 1, true, false, false), (4, 1, false, true, true), (8, 2, true, true, true), (8, 2, true, false, false)])
    func convolutionMatchesTheTwin(groups: Int, stride: Int, residual: Bool, relu: Bool, signed: Bool) throws {
        let (n, c, o, side) = (2, 8, 8, 7)
        let lowX: Float = signed ? -0.7 : 0
        let x = try Self.values([n, c, side, side], lowX, 2.1, seed: 3).quantized(try QuantizationParameters(covering: lowX, 2.1))
        let weight = try Self.values([o, c / groups, 3, 3], -0.5, 0.5, seed: 4), bias = try Self.values([o], -0.3, 0.3, seed: 5)
        let conv = try QuantizedConvolution(weight: weight, bias: bias, stride: Size2D(stride, stride), padding: 1, groups: groups)
        #expect(conv.weightCodes.map { abs(Int($0)) }.max() == 127)
        let outSide = (side - 1) / stride + 1
        let lowR: Float = signed ? -1 : 0
        let shortcut = residual ? try Self.values([n, o, outSide, outSide], lowR, 1, seed: 6).quantized(try QuantizationParameters(covering: lowR, 1)) : nil
        let reference = Self.twin(x, conv, residual: shortcut, relu: relu)
        let lowest = reference.values.min()!, highest = reference.values.max()!
        let out = try QuantizationParameters(covering: Float(lowest) * 0.9, Float(highest) * 0.9)  // some saturate
        let y = try conv(x, adding: shortcut, relu: relu, output: out)
        #expect(y.shape == reference.shape && y.parameters == out)
        let expected = reference.values.map { out.code(Float($0)) }
        let off = zip(y.codes, expected).map { abs(Int($0) - Int($1)) }
        #expect(off.max()! <= 1, "largest code difference \(off.max()!)")
        #expect(off.filter { $0 != 0 }.count * 50 <= off.count, "\(off.filter { $0 != 0 }.count) of \(off.count) codes differ")
        if relu { #expect(y.codes.allSatisfy { $0 >= out.zeroPoint }) }

        // fp32 output, with the residual as values.
        let v = try conv.values(x, adding: shortcut?.dequantized(), relu: relu).scalars
        let tolerance = 1e-5 * reference.values.map(abs).max()!
        #expect(zip(v, reference.values).allSatisfy { abs(Double($0) - $1) <= tolerance })
    }

    @Test func weightCodesAreSymmetricPerOutputChannel() throws {
        let weight = try Tensor(shape: [2, 1, 1, 2], scalars: [0.5, -0.25, -4, 1])
        let conv = try QuantizedConvolution(weight: weight, bias: nil)
        #expect(conv.weightCodes == [127, -64, -127, 32] && conv.weightScales == [0.5 / 127, 4 / 127])
        let runtime = conv.runtimeWeights
        if QuantizedConvolution.takesFullWeightCodes {
            #expect(runtime.codes == conv.weightCodes)
        } else {
            #expect(runtime.codes == [64, -32, -64, 16] && runtime.scales == [1 / 127, 8 / 127])
        }
        #expect(throws: TensorError.self) { try QuantizedConvolution(weightCodes: [-128], weightScales: [1], bias: [0], weightShape: [1, 1, 1, 1]) }
        #expect(throws: TensorError.self) { try QuantizedConvolution(weightCodes: [1], weightScales: [0], bias: [0], weightShape: [1, 1, 1, 1]) }
        #expect(throws: TensorError.self) { try QuantizedConvolution(weightCodes: [1, 2], weightScales: [1], bias: [0], weightShape: [1, 1, 1, 1]) }
        let x = try Self.values([1, 3, 4, 4], 0, 1, seed: 9).quantized(try QuantizationParameters(covering: 0, 1))
        #expect(throws: TensorError.self) { try conv(x, output: x.parameters) }  // 3 channels into a 1-channel convolution
    }

    @Test func maxPoolingTakesTheLargestCode() throws {
        let p = try QuantizationParameters(covering: -1, 1)
        let x = try Self.values([2, 3, 6, 6], -1, 1, seed: 11).quantized(p)
        let y = try x.maxPool2d(kernel: 3, stride: 2, padding: 1)
        #expect(y.shape == [2, 3, 3, 3] && y.parameters == p)
        let codes = x.codes
        var expected: [UInt8] = []
        for plane in 0..<6 { for i in 0..<3 { for j in 0..<3 {
            var best: UInt8 = 0
            for u in 0..<3 { for v in 0..<3 {
                let (r, c) = (i * 2 - 1 + u, j * 2 - 1 + v)
                if (0..<6).contains(r), (0..<6).contains(c) { best = max(best, codes[plane * 36 + r * 6 + c]) }
            } }
            expected.append(best)
        } } }
        #expect(y.codes == expected)
    }
}
