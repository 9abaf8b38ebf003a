// A probe for `petal-bench --probe-convolutions` (SPI, not API): every implementation oneDNN offers for one
// convolution shape, in each direction and activation layout, timed on its own. It is how the choice of kernels
// and layouts in ConvolutionPlan was made, and how to re-check it on another processor or oneDNN version.
import CDNNL

#if KERNEL_PROBES  // compiled with the KernelProbes trait only (Package.swift)

@_spi(Benchmark) public enum ConvolutionImplementations {
    public struct Candidate: Sendable {
        public let direction: String, layout: String, implementation: String, srcLayout: String
        public let milliseconds: Double
    }

    /// Layouts asked for the activations: oneDNN's choice, 16-channel blocks, channels-last, plain NCHW.
    static let layouts: [(String, dnnl_format_tag_t)] = [("any", dnnl_format_tag_any), ("nChw16c", dnnl_aBcd16b), ("nhwc", dnnl_acdb), ("nchw", dnnl_abcd)]

    public static func probe(batch: Int, inChannels: Int, outChannels: Int, size: Int, kernel: Int, stride: Int, padding: Int,
                             precision: Precision = .fp32, runs: Int = 5) throws -> [Candidate] {
        let g = try WindowGeometry(op: "probe", input: Size2D(size, size), kernel: Size2D(kernel, kernel), stride: Size2D(stride, stride),
                                   padding: Size2D(padding, padding))
        let inDims = [batch, inChannels, size, size], outDims = [batch, outChannels, g.output.height, g.output.width]
        let weightDims = [outChannels, inChannels, kernel, kernel]
        let type = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        var found: [Candidate] = []
        let algorithms = kernel == 3 && stride == 1 ? [("", dnnl_convolution_direct), ("wino ", dnnl_convolution_winograd), ("auto ", dnnl_convolution_auto)]
                                                    : [("", dnnl_convolution_direct)]
        for (algorithmName, algorithm) in algorithms {
        for (tagName, tag) in layouts {
            let layoutName = algorithmName + tagName
            var src = MemoryDesc(dims: inDims, tag: tag, type: type).raw, dst = MemoryDesc(dims: outDims, tag: tag).raw
            var wei = MemoryDesc.any(weightDims, type: type).raw
            var fd = dnnl_convolution_desc_t(), bd = dnnl_convolution_desc_t(), wd = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training, algorithm, &src, &wei, nil, &dst,
                                                                     g.strides, g.dilates, g.padBegin, g.padEnd), "probe fwd")
            var diffSrc = MemoryDesc(dims: inDims, tag: tag).raw, diffDst = MemoryDesc(dims: outDims, tag: tag, type: type).raw
            var diffWei = MemoryDesc.any(weightDims).raw
            try dnnlCheck(dnnl_dilated_convolution_backward_data_desc_init(&bd, algorithm, &diffSrc, &wei, &diffDst,
                                                                           g.strides, g.dilates, g.padBegin, g.padEnd), "probe bwd-data")
            try dnnlCheck(dnnl_dilated_convolution_backward_weights_desc_init(&wd, algorithm, &src, &diffWei, nil, &diffDst,
                                                                              g.strides, g.dilates, g.padBegin, g.padEnd), "probe bwd-weights")
            guard let hint = try? Primitive(opDesc: &fd, name: "probe hint") else { continue }
            let directions = [("forward", implementations(&fd, hint: nil), [Arg.src, Arg.weights, Arg.dst]),
                              ("backward-data", implementations(&bd, hint: hint), [Arg.diffDst, Arg.weights, Arg.diffSrc]),
                              ("backward-weights", implementations(&wd, hint: hint), [Arg.src, Arg.diffDst, Arg.diffWeights])]
            for (direction, pds, args) in directions {
                for pd in pds {
                    guard let p = try? Primitive(pd: pd, name: "probe") else { continue }
                    if p.implementation.hasPrefix("ref") { continue }  // reference loops: seconds per call, never chosen
                    let memories = args.map { ($0, Memory(desc: MemoryDesc(raw: dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, $0)!.pointee))) }
                    for m in memories { m.1.data.initializeMemory(as: UInt8.self, repeating: 0, count: m.1.desc.byteCount) }
                    p.execute(memories)
                    var times: [Double] = []
                    for _ in 0..<runs {
                        let t0 = ContinuousClock.now
                        p.execute(memories)
                        let d = ContinuousClock.now - t0
                        times.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15)
                    }
                    let srcArg = direction == "backward-data" ? Arg.diffDst : Arg.src
                    found.append(Candidate(direction: direction, layout: layoutName, implementation: p.implementation,
                                           srcLayout: MemoryDesc(raw: dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, srcArg)!.pointee).formatName,
                                           milliseconds: times.sorted()[times.count / 2]))
                }
            }
        }
        }
        return found
    }

    /// Every primitive descriptor oneDNN can make for `desc`, best-first as the library ranks them.
    static func implementations(_ desc: UnsafeMutablePointer<dnnl_convolution_desc_t>, hint: Primitive?) -> [dnnl_primitive_desc_t] {
        var it: dnnl_primitive_desc_iterator_t?
        guard dnnl_primitive_desc_iterator_create(&it, UnsafeRawPointer(desc), nil, Device.default.engine, hint?.pd) == dnnl_success else { return [] }
        defer { dnnl_primitive_desc_iterator_destroy(it) }
        var pds: [dnnl_primitive_desc_t] = []
        repeat {
            if let pd = dnnl_primitive_desc_iterator_fetch(it) { pds.append(pd) }
        } while dnnl_primitive_desc_iterator_next(it) == dnnl_success
        return pds
    }
}
#endif
