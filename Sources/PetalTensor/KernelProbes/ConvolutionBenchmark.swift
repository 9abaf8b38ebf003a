// Kernel probes for `petal-bench`, in the one SPI PetalTensor declares (`@_spi(Benchmark)`; no library imports it,
// and it stays here because it drives Petal's own plans): the same convolution run through Petal's ops and through
// the bare oneDNN primitive, so the benchmark can print Petal's overhead as a ratio measured in one process.
import CDNNL
import PetalRandom

#if KERNEL_PROBES  // compiled with the KernelProbes trait only (Package.swift)

/// One 3×3, stride-1, padding-1 convolution shape, runnable through Petal or through oneDNN alone.
@_spi(Benchmark) public final class ConvolutionBenchmark {
    public let flops: Double
    public let label: String
    private let x: Tensor, w: Tensor, g: Tensor
    private let plan: ConvolutionPlan
    // Pre-laid-out memories for the bare-primitive runs.
    private let src: Memory, wei: Memory, dst: Memory, diffDst: Memory, diffSrc: Memory, diffWei: Memory
    private let srcForWeights: Memory, diffDstForWeights: Memory, weiForData: Memory, diffDstForData: Memory

    public init(batch: Int, channels: Int, size: Int, seed: UInt64 = 1) throws {
        var gen = SeededGenerator(seed: seed)
        let plainX = try Tensor.randomNormal([batch, channels, size, size], generator: &gen)
        let w = try Tensor.heNormal([channels, channels, 3, 3], generator: &gen).requiringGradient()
        // As inside a network: the input arrives in the layout the previous convolution produced.
        let x = try withoutGradients { try plainX.conv2d(weight: w.detached(), padding: 1) }.requiringGradient()
        let g = try withoutGradients { try x.detached().conv2d(weight: w.detached(), padding: 1) }
        (self.x, self.w, self.g) = (x, w, g)
        flops = 2 * Double(batch * channels * channels * 9 * size * size)
        label = "\(channels)→\(channels) at \(size)×\(size)"
        plan = try x.convolutionPlan(weight: w, bias: nil, stride: 1, padding: 1, dilation: 1, groups: 1)
        let fwd = plan.forward, bd = try plan.backwardData(), bw = try plan.backwardWeights()
        src = x.storage.memory(fwd.desc(dnnl_query_src_md))
        wei = w.storage.memory(fwd.desc(dnnl_query_weights_md))
        dst = Memory(desc: fwd.desc(dnnl_query_dst_md))
        diffDst = g.storage.memory(bd.desc(dnnl_query_diff_dst_md))
        diffSrc = Memory(desc: bd.desc(dnnl_query_diff_src_md))
        weiForData = w.storage.memory(bd.desc(dnnl_query_weights_md))
        diffDstForData = diffDst
        srcForWeights = x.storage.memory(bw.desc(dnnl_query_src_md))
        diffDstForWeights = g.storage.memory(bw.desc(dnnl_query_diff_dst_md))
        diffWei = Memory(desc: bw.desc(dnnl_query_diff_weights_md))
    }

    /// The kernel oneDNN chose for forward, e.g. `brg:avx512_core` or `jit:avx512_core`.
    public var implementation: String { plan.forward.implementation }

    /// Forward as in training (recording the graph), so it runs the same primitive as `onednnForward`.
    public func petalForward() throws { _ = try x.conv2d(weight: w, padding: 1) }
    public func petalBackwardData() throws { _ = try Tensor.convolutionBackwardData(g, weight: w, plan: plan) }
    public func petalBackwardWeights() throws { _ = try Tensor.convolutionBackwardWeights(g, input: x, weightShape: w.shape, plan: plan) }

    public func onednnForward() { plan.forward.execute([(Arg.src, src), (Arg.weights, wei), (Arg.dst, dst)]) }
    public func onednnBackwardData() throws {
        try plan.backwardData().execute([(Arg.diffDst, diffDstForData), (Arg.weights, weiForData), (Arg.diffSrc, diffSrc)])
    }
    public func onednnBackwardWeights() throws {
        try plan.backwardWeights().execute([(Arg.src, srcForWeights), (Arg.diffDst, diffDstForWeights), (Arg.diffWeights, diffWei)])
    }
}
#endif
