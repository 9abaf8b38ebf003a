// Max and average pooling on oneDNN, in the input's layout, with PyTorch's semantics (ceil mode,
// count_include_pad); global average pooling for the head of a ResNet. The naive twins are test oracles.
import CDNNL

/// The pooling primitives for one shape; the backward one is made on first use.
final class PoolingPlan: @unchecked Sendable {
    let forward: Primitive
    let algorithm: dnnl_alg_kind_t
    let geometry: WindowGeometry
    let inputDims: [Int], outputDims: [Int]
    /// Per output position, PyTorch's divisor correction for average pooling in ceil mode (nil when none).
    let divisorCorrection: [Float]?
    private let backwardPrimitive = LazyPrimitive()

    init(src: MemoryDesc, outputDims: [Int], geometry: WindowGeometry, algorithm: dnnl_alg_kind_t, training: Bool, divisorCorrection: [Float]?) throws {
        self.algorithm = algorithm; self.geometry = geometry; self.outputDims = outputDims; self.divisorCorrection = divisorCorrection
        inputDims = src.dims
        var s = src.raw, d = MemoryDesc.any(outputDims, type: src.raw.data_type).raw
        var desc = dnnl_pooling_v2_desc_t()
        try dnnlCheck(dnnl_pooling_v2_forward_desc_init(&desc, training ? dnnl_forward_training : dnnl_forward_inference, algorithm, &s, &d,
                                                        geometry.strides, geometry.kernelDims, geometry.dilates, geometry.padBegin, geometry.padEnd),
                      "pooling forward \(inputDims)")
        forward = try Primitive(opDesc: &desc, name: "pooling forward")
    }

    func backward() throws -> Primitive {
        try backwardPrimitive.get {
            var s = forward.desc(dnnl_query_src_md).raw, d = forward.desc(dnnl_query_dst_md).raw
            var desc = dnnl_pooling_v2_desc_t()
            try dnnlCheck(dnnl_pooling_v2_backward_desc_init(&desc, algorithm, &s, &d, geometry.strides, geometry.kernelDims,
                                                             geometry.dilates, geometry.padBegin, geometry.padEnd), "pooling backward")
            return try Primitive(opDesc: &desc, hint: forward, name: "pooling backward")
        }
    }
}

extension Tensor {
    /// Max pooling over H and W of an NCHW tensor. `stride` defaults to the kernel size.
    public func maxPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false) throws -> Tensor {
        try traced([.maxPool(kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode)], [self]) {
            try pool2d("maxPool2d", kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, algorithm: dnnl_pooling_max)
        }
    }

    /// Average pooling; `countIncludePad` divides by the window including zero padding (PyTorch's default).
    public func avgPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false, countIncludePad: Bool = true) throws -> Tensor {
        try traced([.averagePool(kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, countIncludePad: countIncludePad)], [self]) {
            try pool2d("avgPool2d", kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode,
                       algorithm: countIncludePad ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding)
        }
    }

    /// Mean over H and W: [N, C, H, W] → [N, C].
    public func globalAvgPool2d() throws -> Tensor {
        guard rank == 4 else { throw TensorError.shapeMismatch(op: "globalAvgPool2d", message: "input must be NCHW (rank 4), got \(describe(shape))") }
        return try traced([.globalAveragePool], [self]) { try avgPool2d(kernel: Size2D(shape[2], shape[3])).reshaped([shape[0], shape[1]]) }
    }

    private func pool2d(_ op: String, kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool, algorithm: dnnl_alg_kind_t) throws -> Tensor {
        guard rank == 4 else { throw TensorError.shapeMismatch(op: op, message: "input must be NCHW (rank 4), got \(describe(shape))") }
        guard padding.height * 2 <= kernel.height, padding.width * 2 <= kernel.width else {
            throw TensorError.invalidArgument(op: op, message: "padding \(padding) must be at most half the kernel \(kernel)")
        }
        let g = try WindowGeometry(op: op, input: Size2D(shape[2], shape[3]), kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let outDims = [shape[0], shape[1], g.output.height, g.output.width]
        let training = GradientMode.records(self)
        // Max pooling of bf16 values (a bf16 inference convolution's output) stays in bf16: a maximum is exact.
        let src = (!training && algorithm == dnnl_pooling_max ? storage.reducedPrecisionMemory(dims: shape) : nil)
            ?? storage.preferredMemory(dims: shape)
        let key = PrimitiveKey("\(op) k\(kernel) s\(stride) p\(padding) ceil:\(ceilMode) alg\(algorithm.rawValue) train:\(training)", src.desc)
        let plan = try Device.current.cache.plan(key) {
            try PoolingPlan(src: src.desc, outputDims: outDims, geometry: g, algorithm: algorithm, training: training,
                            divisorCorrection: algorithm == dnnl_pooling_avg_include_padding ? Tensor.ceilModeCorrection(g) : nil)
        }
        let keepsWorkspace = training && algorithm == dnnl_pooling_max
        let made = plan.forward.run(reading: [], [(Arg.src, src)], writing: keepsWorkspace ? [Arg.dst, Arg.workspace] : [Arg.dst])
        let workspace = keepsWorkspace ? made[1] : nil
        var out = Tensor(shape: outDims, wrapping: made[0])
        if let correction = plan.divisorCorrection { out = try out.scaledPerPosition(correction) }
        let inputDims = shape
        return out.recorded(op, [self]) { g, _ in
            let bwd = try plan.backward()
            let gradient = try plan.divisorCorrection.map { try g.scaledPerPosition($0) } ?? g
            let diffSrc = bwd.run(reading: [(Arg.diffDst, gradient)], workspace.map { [(Arg.workspace, $0)] } ?? [], writing: [Arg.diffSrc])[0]
            return [Tensor(shape: inputDims, wrapping: diffSrc)]
        }
    }

    /// oneDNN divides a ceil-mode window that overhangs the padded input by the full kernel area; PyTorch
    /// divides by the part inside input + padding. Returns kernelArea / PyTorch's divisor per output
    /// position, or nil when no window overhangs.
    static func ceilModeCorrection(_ g: WindowGeometry) -> [Float]? {
        func divisors(_ o: Int, _ i: Int, _ k: Int, _ s: Int, _ p: Int) -> [Int] {
            (0..<o).map { j in let start = j * s - p; return min(start + k, i + p) - start }
        }
        let dh = divisors(g.output.height, g.input.height, g.kernel.height, g.stride.height, g.padding.height)
        let dw = divisors(g.output.width, g.input.width, g.kernel.width, g.stride.width, g.padding.width)
        guard dh.contains(where: { $0 != g.kernel.height }) || dw.contains(where: { $0 != g.kernel.width }) else { return nil }
        let area = Float(g.kernel.height * g.kernel.width)
        return dh.flatMap { h in dw.map { w in area / Float(h * w) } }
    }

    /// Multiplies every H×W plane of an NCHW tensor by the same per-position factors (no graph recorded).
    func scaledPerPosition(_ factors: [Float]) throws -> Tensor {
        let plane = shape[2] * shape[3]
        let p = storage.plain
        return Tensor.make(shape) { o in for i in o.indices { o[i] = p[i] * factors[i % plane] } }
    }
}

extension Naive {
    /// Max (or average, PyTorch's count_include_pad divisor) pooling in Double.
    static func pool2d(_ x: [Double], _ s: [Int], kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool,
                       max isMax: Bool, countIncludePad: Bool = true) throws -> [Double] {
        let g = try WindowGeometry(op: "naive", input: Size2D(s[2], s[3]), kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let (oh, ow) = (g.output.height, g.output.width)
        var y: [Double] = []
        for plane in 0..<(s[0] * s[1]) { for i in 0..<oh { for j in 0..<ow {
            let h0 = i * stride.height - padding.height, w0 = j * stride.width - padding.width
            let h1 = min(h0 + kernel.height, s[2] + padding.height), w1 = min(w0 + kernel.width, s[3] + padding.width)
            var best = -Double.infinity, sum = 0.0, inside = 0
            for u in max(h0, 0)..<min(h1, s[2]) { for v in max(w0, 0)..<min(w1, s[3]) {
                let value = x[(plane * s[2] + u) * s[3] + v]
                best = Swift.max(best, value); sum += value; inside += 1
            } }
            y.append(isMax ? best : sum / Double(countIncludePad ? (h1 - h0) * (w1 - w0) : inside))
        } } }
        return y
    }
}
