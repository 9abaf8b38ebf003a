// Winograd convolutions (ConvolutionAlgorithm.auto on 3×3 stride-1 shapes with whole 16-channel blocks and a batch
// large enough): the same values and gradients as the definition, within Winograd's extra rounding.
import CDNNL
import PetalTestSupport
import Testing
@testable import PetalTensor

@Suite struct WinogradTests {
    static let (input, weight) = ([16, 16, 9, 10], [32, 16, 3, 3])

    /// Gated on the CPU, not on what a plan picks: where oneDNN has Winograd, a change that stopped Petal choosing it fails here.
    @Test(.enabled(if: TestCPU.offersWinograd, "oneDNN has no Winograd kernel for this CPU (Intel AVX-512 only)"))
    func trainingConvolutionRunsWinogradAndMatchesTheNaiveTwin() throws {
        let x = try randomTensor(Self.input, seed: 41).requiringGradient()
        let w = try randomTensor(Self.weight, seed: 42, scale: 0.3).requiringGradient()
        let plan = try x.convolutionPlan(weight: w, bias: nil, stride: 1, padding: 1, dilation: 1, groups: 1)
        #expect(plan.forward.implementation.contains("wino"), "forward ran \(plan.forward.implementation)")
        #expect(try plan.backwardData().implementation.contains("wino"))
        #expect(try plan.backwardWeights().implementation.contains("wino"))

        let y = try x.conv2d(weight: w, padding: 1)
        let r = try randomTensor(y.shape, seed: 43)
        try (y * r).sum().backward()
        let (xd, wd) = (x.scalars.map(Double.init), w.scalars.map(Double.init))
        let naive = Naive.conv2d(xd, Self.input, wd, Self.weight, nil, stride: 1, padding: 1, dilation: 1, groups: 1)
        let grads = Naive.conv2dBackward(r.scalars.map(Double.init), xd, Self.input, wd, Self.weight, stride: 1, padding: 1, dilation: 1, groups: 1)
        expectClose(y.scalars, naive.values, rtol: 1e-4, atol: 1e-4, "forward")
        expectClose(try #require(x.grad).scalars, grads.dx, rtol: 1e-4, atol: 1e-4, "input gradient")
        expectClose(try #require(w.grad).scalars, grads.dw, rtol: 1e-4, atol: 1e-3, "weight gradient")
    }

    @Test func smallBatchesPartialBlocksAndTheDirectSettingStayDirect() throws {
        func implementation(_ input: [Int], _ weight: [Int], algorithm: ConvolutionAlgorithm = .auto) throws -> String {
            let x = try randomTensor(input, seed: 1).requiringGradient(), w = try randomTensor(weight, seed: 2).requiringGradient()
            if algorithm == .auto {
                return try x.convolutionPlan(weight: w, bias: nil, stride: 1, padding: 1, dilation: 1, groups: 1).forward.implementation
            }
            let g = try WindowGeometry(op: "test", input: Size2D(input[2], input[3]), kernel: 3, stride: 1, padding: 1)
            return try ConvolutionPlan(inputDims: input, weightDims: weight, outputDims: [input[0], weight[0], input[2], input[3]], geometry: g,
                                       hasBias: false, training: true, algorithm: algorithm).forward.implementation
        }
        #expect(try !implementation([4, 16, 9, 9], [32, 16, 3, 3]).contains("wino"), "batch 4 is below oneDNN's training threshold")
        #expect(try !implementation([16, 8, 9, 9], [16, 8, 3, 3]).contains("wino"), "8 channels fill no 16-wide block")
        #expect(try !implementation(Self.input, Self.weight, algorithm: .direct).contains("wino"))
    }

    /// Inference Winograd reads weights pre-transformed into a format of its own; a weight tensor holding that copy
    /// must still convert to the blocked layout training wants (from its plain values, not from the Winograd copy).
    /// oneDNN 2.6's Winograd kernels are Intel AVX-512 code: other CPUs compute the direct sum.
    @Test(.enabled(if: TestCPU.offersWinograd, "oneDNN 2.6 has Winograd kernels for Intel AVX-512 only; this CPU has none"))
    func weightsUsedByWinogradInferenceStillTrain() throws {
        let x = try randomTensor(Self.input, seed: 51), w = try randomTensor(Self.weight, seed: 52, scale: 0.3)
        let inferencePlan = try withoutGradients { try x.convolutionPlan(weight: w, bias: nil, stride: 1, padding: 1, dilation: 1, groups: 1) }
        #expect(inferencePlan.forward.desc(dnnl_query_weights_md).isWinogradWeights)
        let naive = Naive.conv2d(x.scalars.map(Double.init), Self.input, w.scalars.map(Double.init), Self.weight, nil,
                                 stride: 1, padding: 1, dilation: 1, groups: 1).values
        let inferred = try withoutGradients { try x.conv2dInference(weight: w, padding: 1) }
        expectClose(inferred.scalars, naive, rtol: 1e-4, atol: 1e-4, "inference")
        let trainable = w.requiringGradient()
        let trained = try x.conv2d(weight: trainable, padding: 1)
        try trained.sum().backward()
        expectClose(trained.scalars, naive, rtol: 1e-4, atol: 1e-4, "training after inference")
        #expect(trainable.grad != nil)
    }
}
