// 2-D convolution (cross-correlation, as PyTorch): forward, backward-data and backward-weights on oneDNN,
// each primitive created once per shape and cached; activations stay in the layout oneDNN chooses.
// The naive twin at the bottom is the oracle the tests compare against.
import CDNNL

/// The oneDNN primitives of one convolution shape; backward ones are made on first use.
final class ConvolutionPlan: @unchecked Sendable {
    let forward: Primitive
    let geometry: WindowGeometry
    let inputDims: [Int], weightDims: [Int], outputDims: [Int]
    let hasBias: Bool
    /// Data type of the convolution's inputs (src, weights, diff_dst). Gradients are always f32, and so are outputs,
    /// except bf16 inference's.
    let computeType: dnnl_data_type_t
    /// oneDNN's algorithm: `convolution_auto` (Winograd where oneDNN finds it faster) or `convolution_direct`.
    let algorithm: dnnl_alg_kind_t
    private let backwardDataPrimitive = LazyPrimitive()
    private let backwardWeightsPrimitive = LazyPrimitive()
    private let fp32ForwardPrimitive = LazyPrimitive()

    init(inputDims: [Int], weightDims: [Int], outputDims: [Int], geometry: WindowGeometry, hasBias: Bool, training: Bool,
         precision: Precision = .fp32, algorithm: ConvolutionAlgorithm = .auto,
         postOps: ConvolutionPostOps = ConvolutionPostOps(), channelsLast: Bool = false) throws {
        let alg = algorithm.dnnl
        self.algorithm = alg
        self.inputDims = inputDims; self.weightDims = weightDims; self.outputDims = outputDims
        self.geometry = geometry; self.hasBias = hasBias
        computeType = precision == .bf16 ? dnnl_bf16 : dnnl_f32
        // fp32 inference asks for the CPU's native blocks (nChw16c on AVX-512), as training gets (faster in batches, one layout from training to evaluation);
        // a single image asks for channels-last brgemm kernels (faster there). Measured: docs/DESIGN-CHANGES.md.
        // Channels-last brgemm kernels are AVX-512 code; other CPUs keep their own blocks for a single image too.
        let block = Device.nativeChannelBlock
        let tag = !training && precision == .fp32 && block != nil && inputDims[1] % block! == 0
            ? (channelsLast && block == 16 ? dnnl_acdb : (block == 16 ? dnnl_aBcd16b : dnnl_aBcd8b)) : dnnl_format_tag_any
        var src = MemoryDesc(dims: inputDims, tag: tag, type: computeType).raw, wei = MemoryDesc.any(weightDims, type: computeType).raw
        // bf16 inference writes bf16 activations (as PyTorch's autocast does): the next convolution reads them without
        // a conversion, and half the bytes move. Training keeps fp32 outputs for batch norm and the gradients.
        var dst = MemoryDesc(dims: outputDims, tag: tag, type: training ? dnnl_f32 : computeType).raw
        var d = dnnl_convolution_desc_t()
        try withOptionalPointer(hasBias ? MemoryDesc.plain([outputDims[1]]).raw : nil) { bias in
            try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(
                &d, training ? dnnl_forward_training : dnnl_forward_inference, alg,
                &src, &wei, bias, &dst, geometry.strides, geometry.dilates, geometry.padBegin, geometry.padEnd),
                "conv2d forward \(inputDims) * \(weightDims)")
        }
        forward = try postOps.withAttributes { try Primitive(opDesc: &d, attr: $0, name: "conv2d forward") }
    }

    func backwardData() throws -> Primitive {
        try backwardDataPrimitive.get {
            let fp32 = takesGradientsInFP32
            var diffSrc = MemoryDesc.any(inputDims).raw, wei = MemoryDesc.any(weightDims, type: fp32 ? dnnl_f32 : computeType).raw
            var diffDst = MemoryDesc.any(outputDims, type: fp32 ? dnnl_f32 : computeType).raw
            var d = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_dilated_convolution_backward_data_desc_init(
                &d, algorithm, &diffSrc, &wei, &diffDst, geometry.strides, geometry.dilates, geometry.padBegin, geometry.padEnd),
                "conv2d backward-data")
            return try Primitive(opDesc: &d, hint: fp32 ? fp32Forward() : forward, name: "conv2d backward-data")
        }
    }

    func backwardWeights() throws -> Primitive {
        try backwardWeightsPrimitive.get {
            let fp32 = takesGradientsInFP32
            let type = fp32 ? dnnl_f32 : computeType
            var src = MemoryDesc.any(inputDims, type: type).raw, diffWei = MemoryDesc.any(weightDims).raw
            var diffDst = MemoryDesc.any(outputDims, type: type).raw
            var d = dnnl_convolution_desc_t()
            try withOptionalPointer(hasBias ? MemoryDesc.plain([outputDims[1]]).raw : nil) { diffBias in
                try dnnlCheck(dnnl_dilated_convolution_backward_weights_desc_init(
                    &d, algorithm, &src, &diffWei, diffBias, &diffDst,
                    geometry.strides, geometry.dilates, geometry.padBegin, geometry.padEnd), "conv2d backward-weights")
            }
            return try Primitive(opDesc: &d, hint: fp32 ? fp32Forward() : forward, name: "conv2d backward-weights")
        }
    }

    /// bf16 convolutions that fill little of an AMX tile (16 pixels × 32 channel pairs) take their gradients in fp32,
    /// from the fp32 values of the activations, weights and incoming gradient: outputs of at most 7×7 pixels, and
    /// inputs of fewer than 16 channels (the stem's 3): oneDNN 2.6's AMX gradient kernels are 2–3× slower than fp32 there
    /// (docs/DESIGN-CHANGES.md). fp32 also skips two bf16 conversions per gradient, and is at least as exact.
    private var takesGradientsInFP32: Bool {
        computeType == dnnl_bf16 && (outputDims[2] * outputDims[3] <= 49 || inputDims[1] < 16)
    }

    /// The fp32 forward convolution of this shape: the layout hint for fp32 gradients of a bf16 convolution (made
    /// once, shared by both gradients).
    private func fp32Forward() throws -> Primitive {
        try fp32ForwardPrimitive.get {
            var src = MemoryDesc.any(inputDims).raw, wei = MemoryDesc.any(weightDims).raw, dst = MemoryDesc.any(outputDims).raw
            var d = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&d, dnnl_forward_training, algorithm, &src, &wei, nil, &dst,
                                                                     geometry.strides, geometry.dilates, geometry.padBegin, geometry.padEnd),
                          "conv2d fp32 forward hint")
            return try Primitive(opDesc: &d, name: "conv2d fp32 forward hint")
        }
    }
}

extension Tensor {
    /// 2-D convolution of an NCHW input with weights [out, in / groups, kh, kw] and an optional bias [out].
    /// - Parameters:
    ///   - stride, padding, dilation: per axis, PyTorch's meaning (padding is added on both sides).
    ///   - groups: input and output channels are split into this many independent groups.
    ///   - precision: `.bf16` computes in bfloat16 (mixed precision, see ``Precision``); results stay Float32.
    ///   - algorithm: Winograd where it pays (`.auto`) or always the direct sum (see ``ConvolutionAlgorithm``).
    ///   - singleImageChannelsLast: fp32 inference on one image uses channels-last kernels (oneDNN's brgemm ones, faster
    ///     there) instead of 16-channel blocks; the values agree within rounding.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0,
                       dilation: Size2D = 1, groups: Int = 1, precision: Precision = .fp32,
                       algorithm: ConvolutionAlgorithm = .auto, singleImageChannelsLast: Bool = true) throws -> Tensor {
        let settings = ConvolutionSettings(precision: precision, algorithm: algorithm, singleImageChannelsLast: singleImageChannelsLast)
        return try traced([.convolution(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                                        settings: settings)], [self]) {
            try conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups, settings: settings)
        }
    }

    private func conv2d(weight: Tensor, bias: Tensor?, stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int,
                        settings: ConvolutionSettings) throws -> Tensor {
        let (precision, algorithm, singleImageChannelsLast) = (settings.precision, settings.algorithm, settings.singleImageChannelsLast)
        let plan = try convolutionPlan(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                                       precision: precision, algorithm: algorithm, singleImageChannelsLast: singleImageChannelsLast)
        let arguments = [(Arg.src, self), (Arg.weights, weight)] + (bias.map { [(Arg.bias, $0)] } ?? [])
        let out = Tensor(shape: plan.outputDims, wrapping: plan.forward.run(reading: arguments, writing: [Arg.dst])[0])
        let (x, w) = (detached(), weight.detached())
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return out.recorded("conv2d", inputs) { g, needs in
            var grads: [Tensor?] = [nil, nil, nil]
            if needs[0] { grads[0] = try Tensor.convolutionBackwardData(g, weight: w, plan: plan) }
            if needs[1] || (needs.count > 2 && needs[2]) {
                let (dw, db) = try Tensor.convolutionBackwardWeights(g, input: x, weightShape: w.shape, plan: plan)
                grads[1] = dw
                grads[2] = db
            }
            return Array(grads.prefix(needs.count))
        }
    }

    func convolutionPlan(weight: Tensor, bias: Tensor?, stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int,
                         precision: Precision = .fp32, algorithm requested: ConvolutionAlgorithm = .auto,
                         singleImageChannelsLast: Bool = true, postOps: ConvolutionPostOps = ConvolutionPostOps()) throws -> ConvolutionPlan {
        let op = "conv2d"
        guard rank == 4 else { throw TensorError.shapeMismatch(op: op, message: "input must be NCHW (rank 4), got \(describe(shape))") }
        guard weight.rank == 4 else { throw TensorError.shapeMismatch(op: op, message: "weight must be [out, in / groups, kh, kw], got \(describe(weight.shape))") }
        guard groups >= 1 else { throw TensorError.invalidArgument(op: op, message: "groups must be positive, got \(groups)") }
        let (c, o) = (shape[1], weight.shape[0])
        guard c % groups == 0, o % groups == 0 else {
            throw TensorError.invalidArgument(op: op, message: "groups = \(groups) must divide input channels \(c) and output channels \(o)")
        }
        guard weight.shape[1] * groups == c else {
            throw TensorError.shapeMismatch(op: op, message: "input \(describe(shape)) has \(c) channels but weight \(describe(weight.shape)) expects \(weight.shape[1] * groups) (in / groups = \(weight.shape[1]), groups = \(groups))")
        }
        if let bias, bias.shape != [o] {
            throw TensorError.shapeMismatch(op: op, message: "bias \(describe(bias.shape)) must be [\(o)]")
        }
        let g = try WindowGeometry(op: op, input: Size2D(shape[2], shape[3]), kernel: Size2D(weight.shape[2], weight.shape[3]),
                                   stride: stride, padding: padding, dilation: dilation)
        let weightDims = groups == 1 ? weight.shape : [groups, o / groups] + weight.shape.dropFirst()
        let outDims = [shape[0], o, g.output.height, g.output.width]
        let training = GradientMode.records(self, weight, bias)
        // oneDNN 2.6 also offers Winograd when channels pad up to its 16-wide blocks (1→8, 8→16), and those runs
        // corrupted the heap in the test suite; Winograd is asked for only where channels fill whole blocks.
        let algorithm = c % 16 == 0 && o % 16 == 0 && groups == 1 ? requested : .direct
        let channelsLast = !training && precision == .fp32 && shape[0] == 1 && singleImageChannelsLast
        let key = PrimitiveKey("conv2d \(precision.rawValue) \(algorithm.rawValue)\(postOps)\(channelsLast ? " nhwc" : "")",
                               numbers: shape + weightDims + [stride.height, stride.width, padding.height, padding.width, dilation.height,
                                                              dilation.width, bias != nil ? 1 : 0, training ? 1 : 0])
        return try Device.current.cache.plan(key) {
            try ConvolutionPlan(inputDims: shape, weightDims: weightDims, outputDims: outDims, geometry: g, hasBias: bias != nil,
                                training: training, precision: precision, algorithm: algorithm, postOps: postOps, channelsLast: channelsLast)
        }
    }

    static func convolutionBackwardData(_ g: Tensor, weight w: Tensor, plan: ConvolutionPlan) throws -> Tensor {
        let diffSrc = try plan.backwardData().run(reading: [(Arg.diffDst, g), (Arg.weights, w)], writing: [Arg.diffSrc])[0]
        return Tensor(shape: plan.inputDims, wrapping: diffSrc)
    }

    static func convolutionBackwardWeights(_ g: Tensor, input x: Tensor, weightShape: [Int], plan: ConvolutionPlan) throws -> (Tensor, Tensor?) {
        if plan.hasOwnDepthwiseWeightGradient { return depthwiseWeightGradient(g, input: x, plan: plan) }
        let made = try plan.backwardWeights().run(reading: [(Arg.src, x), (Arg.diffDst, g)],
                                                  writing: plan.hasBias ? [Arg.diffWeights, Arg.diffBias] : [Arg.diffWeights])
        // Left in oneDNN's weight layout: it is converted only if someone reads it plain, and an update
        // done in the same layout as the cached blocked weights needs no conversion at all.
        return (Tensor(shape: weightShape, wrapping: made[0]), plan.hasBias ? Tensor(shape: [plan.outputDims[1]], wrapping: made[1]) : nil)
    }
}

/// Naive twins of the kernels, in Double, kept as test oracles (loops straight from the definition).
enum Naive {
    /// y[n, o, i, j] = b[o] + Σ_{c in group, u, v} x[n, c, i·s − p + u·d, j·s − p + v·d] · w[o, c − c0, u, v]
    static func conv2d(_ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int], _ b: [Double]?,
                       stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int) -> (values: [Double], shape: [Int]) {
        let shape = convolutionOutputShape(xs, ws, stride: stride, padding: padding, dilation: dilation)
        let plane = shape[2] * shape[3]
        var y = (0..<shape.reduce(1, *)).map { b?[$0 / plane % shape[1]] ?? 0 }
        forEachConvolutionTap(xs, ws, stride: stride, padding: padding, dilation: dilation, groups: groups) { yi, xi, wi in
            y[yi] += x[xi] * w[wi]
        }
        return (y, shape)
    }

    /// Gradients of Σ g·conv2d(x, w) with respect to x and w: the forward's taps, accumulated the other way.
    static func conv2dBackward(_ g: [Double], _ x: [Double], _ xs: [Int], _ w: [Double], _ ws: [Int],
                               stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int) -> (dx: [Double], dw: [Double]) {
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        forEachConvolutionTap(xs, ws, stride: stride, padding: padding, dilation: dilation, groups: groups) { yi, xi, wi in
            dx[xi] += g[yi] * w[wi]
            dw[wi] += g[yi] * x[xi]
        }
        return (dx, dw)
    }

    static func convolutionOutputShape(_ xs: [Int], _ ws: [Int], stride: Size2D, padding: Size2D, dilation: Size2D) -> [Int] {
        let oh = (xs[2] + 2 * padding.height - (ws[2] - 1) * dilation.height - 1) / stride.height + 1
        let ow = (xs[3] + 2 * padding.width - (ws[3] - 1) * dilation.width - 1) / stride.width + 1
        return [xs[0], ws[0], oh, ow]
    }

    /// Calls `body(output index, input index, weight index)` for every output element and every kernel tap that
    /// falls inside the input, in row-major order of (n, o, i, j, c, u, v).
    static func forEachConvolutionTap(_ xs: [Int], _ ws: [Int], stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int,
                                      _ body: (Int, Int, Int) -> Void) {
        let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3])
        let (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
        let shape = convolutionOutputShape(xs, ws, stride: stride, padding: padding, dilation: dilation)
        let (oh, ow) = (shape[2], shape[3])
        let og = o / groups
        for b0 in 0..<n { for oc in 0..<o { for i in 0..<oh { for j in 0..<ow {
            let yi = ((b0 * o + oc) * oh + i) * ow + j
            let g = oc / og
            for cc in 0..<cg { for u in 0..<kh { for v in 0..<kw {
                let yy = i * stride.height - padding.height + u * dilation.height
                let xx = j * stride.width - padding.width + v * dilation.width
                guard yy >= 0, yy < h, xx >= 0, xx < wd else { continue }
                body(yi, ((b0 * c + g * cg + cc) * h + yy) * wd + xx, ((oc * cg + cc) * kh + u) * kw + v)
            } } }
        } } } }
    }
}
