import Foundation
import Testing
import PetalTestSupport
@testable import PetalTensor

@Suite struct BatchNormTests {
    @Test(arguments: [[2, 3, 4, 5], [1, 16, 3, 3], [4, 17, 2, 3]], [false, true])
    func trainingModeMatchesNaiveTwinAndFiniteDifferences(shape: [Int], relu: Bool) throws {
        let c = shape[1]
        let x = try randomTensor(shape, seed: 11, scale: 2)
        let gamma = try randomTensor([c], seed: 12) + 1, beta = try randomTensor([c], seed: 13)
        try checkGradients([x, gamma, beta]) { t in
            try t[0].batchNorm2d(scale: t[1], shift: t[2], runningMean: Tensor.zeros([c]), runningVariance: Tensor.ones([c]),
                                 training: true, fusedReLU: relu)
        } reference: { v in
            Naive.batchNorm2d(v[0], shape, scale: v[1], shift: v[2], epsilon: 1e-5, relu: relu)
        }
    }

    /// PyTorch's convention (momentum 0.3 here, the unbiased variance) and Keras' (momentum 0.99, i.e. 0.01 here, and
    /// the biased variance) for the running statistics.
    @Test(arguments: [(Float(0.3), true), (0.01, false)])
    func runningStatisticsFollowTheMomentumAndVarianceConvention(momentum: Float, unbiased: Bool) throws {
        let x = try randomTensor([3, 2, 2, 2], seed: 14, scale: 3)
        let mean = try Tensor(shape: [2], scalars: [0.5, -1]), variance = try Tensor(shape: [2], scalars: [2, 0.25])
        _ = try x.batchNorm2d(scale: Tensor.ones([2]), shift: Tensor.zeros([2]), runningMean: mean, runningVariance: variance,
                              training: true, momentum: momentum, unbiasedRunningVariance: unbiased)
        let v = x.scalars.map(Double.init), m = Double(momentum)
        for ch in 0..<2 {
            let values = (0..<3).flatMap { b in (0..<4).map { v[(b * 2 + ch) * 4 + $0] } }
            let mu = values.reduce(0, +) / 12
            let batchVariance = values.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / (unbiased ? 11 : 12)
            let oldMean = [0.5, -1.0][ch], oldVar = [2.0, 0.25][ch]
            #expect(abs(Double(mean.scalars[ch]) - ((1 - m) * oldMean + m * mu)) < 1e-5)
            #expect(abs(Double(variance.scalars[ch]) - ((1 - m) * oldVar + m * batchVariance)) < 1e-5)
        }
    }

    @Test func inferenceModeUsesRunningStatisticsAndDifferentiates() throws {
        let shape = [2, 3, 2, 3]
        let x = try randomTensor(shape, seed: 15)
        let rm = try Tensor(shape: [3], scalars: [0.1, -0.2, 0.3]), rv = try Tensor(shape: [3], scalars: [1.5, 0.5, 2])
        let gamma = try Tensor(shape: [3], scalars: [1, 2, -0.5]), beta = try Tensor(shape: [3], scalars: [0, 0.5, 1])
        try checkGradients([x, gamma, beta]) { t in
            try t[0].batchNorm2d(scale: t[1], shift: t[2], runningMean: rm, runningVariance: rv, training: false)
        } reference: { v in
            v[0].indices.map { i in
                let ch = (i / 6) % 3
                return v[1][ch] * (v[0][i] - Double(rm.scalars[ch])) / (Double(rv.scalars[ch]) + 1e-5).squareRoot() + v[2][ch]
            }
        }
        #expect(rm.scalars == [0.1, -0.2, 0.3], "inference must not touch the running mean")
    }

    @Test func badShapesThrow() throws {
        let x = try Tensor.zeros([2, 3, 4, 4]), c3 = try Tensor.ones([3]), c4 = try Tensor.ones([4])
        #expect(throws: TensorError.self) { try x.batchNorm2d(scale: c4, shift: c3, runningMean: c3, runningVariance: c3, training: true) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3]).batchNorm2d(scale: c3, shift: c3, runningMean: c3, runningVariance: c3, training: true) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 3, 1, 1]).batchNorm2d(scale: c3, shift: c3, runningMean: c3, runningVariance: c3, training: true) }
    }
}

@Suite struct LayerNormTests {
    /// Over axis 1 of NCHW (ConvNeXt's `LayerNorm2d`), the last axis of [N, T, C] (ViT) and of [N, C] (a classifier's
    /// pooled features): values and gradients of input, scale and shift against a Double twin's central differences.
    @Test(arguments: [[2, 5, 3, 2], [2, 3, 6], [4, 7]])
    func matchesNaiveTwinAndFiniteDifferences(shape: [Int]) throws {
        let c = shape.count == 4 ? shape[1] : shape.last!
        let x = try randomTensor(shape, seed: 31, scale: 2) + 0.5
        let gamma = try randomTensor([c], seed: 32) + 1, beta = try randomTensor([c], seed: 33)
        try checkGradients([x, gamma, beta]) { t in try t[0].layerNorm(scale: t[1], shift: t[2], epsilon: 1e-6) } reference: { v in
            Naive.layerNorm(v[0], shape, scale: v[1], shift: v[2], epsilon: 1e-6)
        }
    }

    /// A convolution's output (held in oneDNN's blocked layout) is normalised as its plain values are, and in
    /// inference (no statistics kept) as in training.
    @Test func blockedInputAndInferenceAgreeWithTheTwin() throws {
        let x = try randomTensor([2, 3, 5, 5], seed: 34), w = try randomTensor([16, 3, 3, 3], seed: 35)
        let gamma = try randomTensor([16], seed: 36), beta = try randomTensor([16], seed: 37)
        let y = try withoutGradients { try x.conv2d(weight: w, padding: 1) }
        let expected = Naive.layerNorm(y.scalars.map(Double.init), y.shape, scale: gamma.scalars.map(Double.init), shift: beta.scalars.map(Double.init), epsilon: 1e-5)
        let normed = try withoutGradients { try y.layerNorm(scale: gamma, shift: beta) }
        expectClose(normed.scalars, expected, rtol: 1e-4, atol: 1e-5, "inference on a convolution's output")
    }

    @Test func layerScaleMultipliesEachChannelAndDifferentiates() throws {
        let x = try randomTensor([2, 3, 2, 2], seed: 38), factors = try randomTensor([3, 1, 1], seed: 39)
        try checkGradients([x, factors]) { t in try t[0].scaledChannels(by: t[1]) } reference: { v in
            v[0].indices.map { v[0][$0] * v[1][($0 / 4) % 3] }
        }
        let tokens = try randomTensor([2, 4, 3], seed: 40)
        try checkGradients([tokens, factors]) { t in try t[0].scaledChannels(by: t[1]) } reference: { v in
            v[0].indices.map { v[0][$0] * v[1][$0 % 3] }
        }
    }

    @Test func badShapesThrow() throws {
        let c3 = try Tensor.ones([3]), c4 = try Tensor.ones([4])
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3, 4, 4]).layerNorm(scale: c4, shift: c3) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3, 4, 4]).layerNorm(scale: c3, shift: c3, epsilon: 0) }
        #expect(throws: TensorError.self) { try Tensor.zeros([3]).layerNorm(scale: c3, shift: c3) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3, 4, 4]).scaledChannels(by: c4) }
    }
}

@Suite struct PaddingTests {
    /// Each side on its own, against a naive twin that places every value by index; the gradient cuts the border away.
    @Test(arguments: [(0, 1, 2, 3, Float(0)), (2, 0, 0, 1, -Float.infinity), (1, 1, 1, 1, 0.5)])
    func matchesNaiveTwinAndFiniteDifferences(top: Int, left: Int, bottom: Int, right: Int, value: Float) throws {
        let shape = [2, 3, 4, 5]
        let x = try randomTensor(shape, seed: 23)
        let (h, w) = (shape[2] + top + bottom, shape[3] + left + right)
        func naive(_ v: [Double], fill: Double) -> [Double] {
            var out = [Double](repeating: fill, count: 6 * h * w)
            for p in 0..<6 { for y in 0..<4 { for c in 0..<5 { out[(p * h + y + top) * w + c + left] = v[(p * 4 + y) * 5 + c] } } }
            return out
        }
        let y = try x.padded(top: top, left: left, bottom: bottom, right: right, value: value)
        #expect(y.shape == [2, 3, h, w] && y.scalars.map(Double.init) == naive(x.scalars.map(Double.init), fill: Double(value)))
        // The gradient does not depend on the fill (−∞ has no finite differences), so it is checked with zeros.
        try checkGradients([x]) { t in try t[0].padded(top: top, left: left, bottom: bottom, right: right) } reference: { v in naive(v[0], fill: 0) }
        #expect(throws: TensorError.self) { try x.padded(top: -1, left: 0, bottom: 0, right: 0) }
    }
}

@Suite struct PoolingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var shape: [Int], kernel: Size2D, stride: Size2D, padding: Size2D = 0, ceil = false, max = true, includePad = true
        var testDescription: String { "\(max ? "max" : "avg") x\(shape) k\(kernel) s\(stride) p\(padding) ceil:\(ceil) pad:\(includePad)" }
    }

    static let cases: [Case] = [
        Case(shape: [2, 3, 6, 6], kernel: 2, stride: 2),
        Case(shape: [1, 2, 7, 6], kernel: 3, stride: 2, padding: 1, ceil: true),
        Case(shape: [1, 16, 5, 5], kernel: 3, stride: 2, padding: 1),
        Case(shape: [2, 3, 7, 7], kernel: 3, stride: 2, padding: 1, max: false),
        Case(shape: [1, 2, 8, 8], kernel: 3, stride: 2, ceil: true, max: false),
        Case(shape: [1, 2, 6, 5], kernel: 2, stride: 2, padding: 1, max: false, includePad: false),
    ]

    @Test(arguments: cases)
    func matchesNaiveTwinAndFiniteDifferences(c: Case) throws {
        let x = try randomTensor(c.shape, seed: 21)
        try checkGradients([x]) { t in
            c.max ? try t[0].maxPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceil)
                  : try t[0].avgPool2d(kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceil, countIncludePad: c.includePad)
        } reference: { v in
            try! Naive.pool2d(v[0], c.shape, kernel: c.kernel, stride: c.stride, padding: c.padding, ceilMode: c.ceil, max: c.max, countIncludePad: c.includePad)
        }
    }

    @Test func ceilModeOutputSizesFollowPyTorch() throws {
        // torch.nn.MaxPool2d(3, 2, ceil_mode=True) on 8×8 gives 4×4 (floor gives 3×3); on 7×7 with padding 1, 4×4.
        #expect(try Tensor.zeros([1, 1, 8, 8]).maxPool2d(kernel: 3, stride: 2, ceilMode: true).shape == [1, 1, 4, 4])
        #expect(try Tensor.zeros([1, 1, 8, 8]).maxPool2d(kernel: 3, stride: 2).shape == [1, 1, 3, 3])
        #expect(try Tensor.zeros([1, 1, 7, 7]).maxPool2d(kernel: 3, stride: 2, padding: 1, ceilMode: true).shape == [1, 1, 4, 4])
        #expect(try Tensor.zeros([1, 1, 5, 5]).maxPool2d(kernel: 2, stride: 2, ceilMode: true).shape == [1, 1, 3, 3])
    }

    @Test func globalAveragePoolingAveragesEachPlane() throws {
        let x = try randomTensor([2, 5, 3, 4], seed: 22)
        try checkGradients([x]) { t in try t[0].globalAvgPool2d() } reference: { v in
            (0..<10).map { p in v[0][(p * 12)..<(p * 12 + 12)].reduce(0, +) / 12 }
        }
    }

    @Test func badParametersThrow() throws {
        let x = try Tensor.zeros([1, 2, 4, 4])
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: 0) }
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: 2, padding: 2) }
        #expect(throws: TensorError.self) { try x.maxPool2d(kernel: 5) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 4, 4]).avgPool2d(kernel: 2) }
    }
}
