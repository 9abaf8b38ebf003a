import PetalTestSupport
import Testing
@testable import PetalTensor

@Suite struct ConvolutionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var input: [Int], out: Int, kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1, groups = 1, bias = true
        var testDescription: String { "x\(input) o\(out) k\(kernel) s\(stride) p\(padding) d\(dilation) g\(groups)" }
    }

    static let cases: [Case] = [
        Case(input: [2, 3, 7, 6], out: 4, kernel: 3, padding: 1),
        Case(input: [1, 4, 9, 9], out: 6, kernel: 3, stride: 2, padding: 1, groups: 2),
        Case(input: [2, 2, 8, 7], out: 3, kernel: Size2D(3, 2), stride: Size2D(2, 1), padding: Size2D(0, 1), dilation: 2, bias: false),
        Case(input: [1, 16, 5, 5], out: 16, kernel: 1, bias: false),
        Case(input: [1, 17, 4, 4], out: 16, kernel: 3, stride: 2, padding: 1),   // odd channels: blocked layouts pad them
        Case(input: [2, 6, 5, 5], out: 6, kernel: 3, padding: 1, groups: 6),      // depthwise
        // Depthwise with wider kernels (ConvNeXt's 7×7, EfficientNet's strided 5×5): Petal's own weight gradient.
        Case(input: [2, 8, 11, 10], out: 8, kernel: 7, padding: 3, groups: 8),
        Case(input: [2, 16, 9, 9], out: 16, kernel: 5, stride: 2, padding: 2, groups: 16, bias: false),
        Case(input: [1, 8, 4, 5], out: 8, kernel: Size2D(5, 7), padding: Size2D(1, 2), groups: 8),  // kernel larger than the input
    ]

    @Test(arguments: cases)
    func matchesNaiveTwinAndFiniteDifferences(c: Case) throws {
        let cin = c.input[1]
        let x = try randomTensor(c.input, seed: 1)
        let w = try randomTensor([c.out, cin / c.groups, c.kernel.height, c.kernel.width], seed: 2, scale: 0.5)
        let b = try randomTensor([c.out], seed: 3)
        let inputs = c.bias ? [x, w, b] : [x, w]
        try checkGradients(inputs) { t in
            try t[0].conv2d(weight: t[1], bias: c.bias ? t[2] : nil, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        } reference: { v in
            Naive.conv2d(v[0], c.input, v[1], w.shape, c.bias ? v[2] : nil, stride: c.stride, padding: c.padding,
                         dilation: c.dilation, groups: c.groups).values
        }
    }

    @Test(arguments: cases)
    func fusedInferenceEqualsConvolutionPlusResidualThenReLU(c: Case) throws {
        let x = try randomTensor(c.input, seed: 6)
        let w = try randomTensor([c.out, c.input[1] / c.groups, c.kernel.height, c.kernel.width], seed: 7, scale: 0.5)
        let b = c.bias ? try randomTensor([c.out], seed: 8) : nil
        let (naive, shape) = Naive.conv2d(x.scalars.map(Double.init), c.input, w.scalars.map(Double.init), w.shape, b?.scalars.map(Double.init),
                                          stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
        let r = try randomTensor(shape, seed: 9)
        try withoutGradients {
            let plain = try x.conv2dInference(weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups)
            expectClose(plain.scalars, naive, "no post-ops")
            let fused = try x.conv2dInference(weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups,
                                              adding: r, relu: true)
            expectClose(fused.scalars, zip(naive, r.scalars).map { max($0 + Double($1), 0) }, "residual + ReLU")
            #expect(r.scalars == (try randomTensor(shape, seed: 9)).scalars, "the residual is read, never written")
            let reluOnly = try x.conv2dInference(weight: w, bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, relu: true)
            expectClose(reluOnly.scalars, naive.map { max($0, 0) }, "ReLU")
        }
    }

    @Test func fusedInferenceRefusesToRunWhileGradientsAreRecordedOrOnAWrongResidual() throws {
        let x = try randomTensor([1, 2, 5, 5], seed: 1), w = try randomTensor([3, 2, 3, 3], seed: 2)
        #expect(throws: TensorError.self) { try x.conv2dInference(weight: w) }
        #expect(throws: TensorError.self) { try withoutGradients { try x.conv2dInference(weight: w, adding: try randomTensor([1, 3, 5, 5], seed: 3)) } }
    }

    /// Inference asks for the CPU's own channel blocks: 16-channel blocks on an AVX2 CPU got oneDNN's reference
    /// kernels (13 s for one ResNet-18 convolution of a 32-image batch, against 10 ms).
    @Test(.enabled(if: Device.nativeChannelBlock != nil, "oneDNN has no blocked AVX2 or AVX-512 kernels on this CPU"))
    func inferenceOnABlockedLayoutNeverFallsBackToReferenceKernels() throws {
        for (batch, channels) in [(1, 64), (4, 64), (4, 16), (2, 8)] {
            let x = try randomTensor([batch, channels, 10, 10], seed: 1), w = try randomTensor([channels, channels, 3, 3], seed: 2)
            let plan = try withoutGradients { try x.convolutionPlan(weight: w, bias: nil, stride: 1, padding: 1, dilation: 1, groups: 1) }
            #expect(!plan.forward.implementation.contains("ref"), "batch \(batch), \(channels) channels ran \(plan.forward.implementation)")
        }
    }

    @Test(.enabled(if: Device.default.hasAVX512, "the layout rule was set for oneDNN's AVX-512 kernels; this CPU has none"))
    func singleImageInferenceRunsChannelsLastAndMatchesTheNaiveTwin() throws {
        let w1 = try randomTensor([32, 16, 3, 3], seed: 11, scale: 0.2), w2 = try randomTensor([32, 32, 3, 3], seed: 12, scale: 0.2)
        for batch in [1, 2] {
            let x = try randomTensor([batch, 16, 6, 6], seed: 10), r = try randomTensor([batch, 32, 6, 6], seed: 13)
            try withoutGradients {
                let y = try x.conv2dInference(weight: w1, padding: 1, adding: r, relu: true)
                // One image: oneDNN's channels-last brgemm kernels (faster there); batches keep nChw16c.
                #expect(y.storage.layoutMemory?.desc.formatName == (batch == 1 ? "acdb" : "aBcd16b"), "batch \(batch)")
                let z = try y.conv2dInference(weight: w2, padding: 1)
                let conv1 = Naive.conv2d(x.scalars.map(Double.init), x.shape, w1.scalars.map(Double.init), w1.shape, nil,
                                         stride: 1, padding: 1, dilation: 1, groups: 1)
                let y1 = zip(conv1.values, r.scalars).map { max($0 + Double($1), 0) }
                let conv2 = Naive.conv2d(y1, conv1.shape, w2.scalars.map(Double.init), w2.shape, nil, stride: 1, padding: 1, dilation: 1, groups: 1)
                expectClose(y.scalars, y1, rtol: 1e-4, atol: 1e-4)
                expectClose(z.scalars, conv2.values, rtol: 1e-4, atol: 1e-4)
            }
        }
    }

    @Test func outputStaysBlockedBetweenConvolutions() throws {
        let x = try randomTensor([2, 16, 8, 8], seed: 4)
        let w = try randomTensor([16, 16, 3, 3], seed: 5, scale: 0.1)
        let y = try x.conv2d(weight: w, padding: 1)
        #expect(!y.storage.isPlain, "oneDNN should keep the activation in its blocked layout")
        let z = try y.conv2d(weight: w, padding: 1)
        #expect(!y.storage.isPlain, "feeding a blocked activation to the next convolution must not reorder it to plain")
        let naive1 = Naive.conv2d(x.scalars.map(Double.init), x.shape, w.scalars.map(Double.init), w.shape, nil, stride: 1, padding: 1, dilation: 1, groups: 1)
        let naive2 = Naive.conv2d(naive1.values, naive1.shape, w.scalars.map(Double.init), w.shape, nil, stride: 1, padding: 1, dilation: 1, groups: 1)
        expectClose(z.scalars, naive2.values, rtol: 1e-4, atol: 1e-4)
    }

    @Test func badShapesThrowErrorsNamingTheOp() throws {
        let x = try Tensor.zeros([1, 3, 5, 5])
        #expect(throws: TensorError.self) { try x.conv2d(weight: Tensor.zeros([4, 2, 3, 3])) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: Tensor.zeros([4, 3, 3, 3]), stride: 0) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: Tensor.zeros([4, 3, 7, 7])) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: Tensor.zeros([4, 3, 3, 3]), bias: Tensor.zeros([3])) }
        #expect(throws: TensorError.self) { try x.conv2d(weight: Tensor.zeros([4, 1, 3, 3]), groups: 2) }
        #expect(throws: TensorError.self) { try Tensor.zeros([3, 5, 5]).conv2d(weight: Tensor.zeros([4, 3, 3, 3])) }
        do {
            _ = try x.conv2d(weight: Tensor.zeros([4, 2, 3, 3]))
        } catch {
            #expect(error.localizedDescription.contains("conv2d"))
            #expect(error.localizedDescription.contains("[1, 3, 5, 5]"))
        }
    }
}

@Suite(.enabled(if: Device.default.supportsBF16Convolutions, "oneDNN has no bf16 convolutions on this CPU"))
struct BFloat16ConvolutionTests {
    /// bf16 keeps 8 significant bits: products of rounded inputs summed in fp32 stay within about 1% of fp32.
    @Test func bf16ConvolutionTracksFP32ForwardAndBackward() throws {
        let x = try randomTensor([2, 16, 9, 9], seed: 71).requiringGradient()
        let w = try randomTensor([32, 16, 3, 3], seed: 72, scale: 0.2).requiringGradient()
        let x16 = x.detached().requiringGradient(), w16 = w.detached().requiringGradient()
        let r = try randomTensor([2, 32, 9, 9], seed: 73)
        let y = try x.conv2d(weight: w, padding: 1)
        let y16 = try x16.conv2d(weight: w16, padding: 1, precision: .bf16)
        try (y * r).sum().backward()
        try (y16 * r).sum().backward()
        func relativeError(_ a: [Float], _ b: [Float]) -> Float {
            let num = zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }, den = b.reduce(Float(0)) { $0 + $1 * $1 }
            return (num / den).squareRoot()
        }
        let forward = relativeError(y16.scalars, y.scalars)
        let dx = relativeError(try #require(x16.grad).scalars, try #require(x.grad).scalars)
        let dw = relativeError(try #require(w16.grad).scalars, try #require(w.grad).scalars)
        #expect(forward > 0, "bf16 must actually round (else the fp32 kernel ran)")
        #expect(forward < 0.01 && dx < 0.01 && dw < 0.01, "relative errors \(forward), \(dx), \(dw)")
        #expect(dx > 1e-5 && dw > 1e-5, "9×9 outputs take bf16 gradients: \(dx), \(dw)")
    }

    /// bf16 inference writes bf16 activations: every value is a bfloat16 (its low 16 bits are zero), within bf16's
    /// rounding of fp32; max pooling keeps them in bf16 (a maximum is exact), and reading the values converts from
    /// that only copy.
    @Test func bf16InferenceWritesBF16Activations() throws {
        let x = try randomTensor([2, 16, 9, 9], seed: 91), w = try randomTensor([32, 16, 3, 3], seed: 92, scale: 0.2)
        let r = try randomTensor([2, 32, 9, 9], seed: 93)
        try withoutGradients {
            let y = try x.conv2dInference(weight: w, padding: 1, adding: r, relu: true)
            let y16 = try x.conv2dInference(weight: w, padding: 1, precision: .bf16, adding: r, relu: true)
            // Pooled before anything reads y16's values, while its bf16 copy is its only one.
            let pooled = try y16.maxPool2d(kernel: 3, stride: 2, padding: 1)
            #expect(pooled.storage.reducedPrecisionMemory(dims: pooled.shape) != nil, "max pooling of bf16 values stays bf16")
            #expect(y16.scalars.allSatisfy { $0.bitPattern & 0xFFFF == 0 }, "values must be bfloat16")
            let scale = y.scalars.map(abs).max()!
            #expect(zip(y16.scalars, y.scalars).allSatisfy { abs($0 - $1) <= 0.02 * scale }, "within bf16 rounding of fp32")
            let exact = try Tensor(shape: y16.shape, scalars: y16.scalars).maxPool2d(kernel: 3, stride: 2, padding: 1)
            #expect(pooled.scalars == exact.scalars, "max pooling in bf16 is exact")
            let chained = try y16.conv2dInference(weight: try randomTensor([16, 32, 3, 3], seed: 94, scale: 0.2), padding: 1, precision: .bf16)
            #expect(chained.shape == [2, 16, 9, 9] && chained.scalars.allSatisfy(\.isFinite))
        }
    }

    /// Outputs of at most 7×7 pixels and inputs of fewer than 16 channels take their gradients in fp32 (oneDNN 2.6's
    /// AMX gradient kernels are slow there): the forward pass still rounds to bf16, the gradients equal fp32's.
    @Test(arguments: [([4, 32, 7, 7], 32), ([4, 3, 12, 12], 16)])
    func smallOutputsAndFewChannelsTakeFP32Gradients(input: [Int], out: Int) throws {
        let x = try randomTensor(input, seed: 81).requiringGradient()
        let w = try randomTensor([out, input[1], 3, 3], seed: 82, scale: 0.2).requiringGradient()
        let x16 = x.detached().requiringGradient(), w16 = w.detached().requiringGradient()
        let r = try randomTensor([input[0], out, input[2], input[3]], seed: 83)
        let y = try x.conv2d(weight: w, padding: 1), y16 = try x16.conv2d(weight: w16, padding: 1, precision: .bf16)
        try (y * r).sum().backward()
        try (y16 * r).sum().backward()
        let rounded = zip(y16.scalars, y.scalars).contains { $0 != $1 }
        #expect(rounded, "the forward pass must still run in bf16")
        expectClose(try #require(x16.grad).scalars, try #require(x.grad).scalars.map(Double.init), rtol: 1e-5, atol: 1e-5, "input gradient")
        expectClose(try #require(w16.grad).scalars, try #require(w.grad).scalars.map(Double.init), rtol: 1e-5, atol: 1e-5, "weight gradient")
    }
}
