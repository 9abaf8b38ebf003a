// A convolution with 8-bit weights on oneDNN's int8 kernels: u8 activation codes times s8 weight codes, summed in
// int32, then scaled, the bias and an optional residual added, ReLU applied and the result written as u8 codes (or
// fp32 values), all in one primitive. Without a dot-product instruction (VNNI, AMX), x86 kernels multiply byte pairs
// into 16-bit sums that saturate (255 · 127 · 2 > 32767), so there the weights run at half their codes: 7 bits.
import CDNNL
import Foundation

/// A 2-D convolution (PyTorch's cross-correlation) whose weights are 8-bit codes, symmetric per output channel.
///
/// Made from fp32 weights (``init(weight:bias:stride:padding:dilation:groups:)`` quantizes them: the largest magnitude
/// of each output channel becomes ±127) or from stored codes. It reads ``QuantizedTensor``s. Calls may come from
/// several threads at once.
public final class QuantizedConvolution: @unchecked Sendable {
    /// The weight codes, [out, in / groups, kh, kw] row-major: weight ≈ `weightScales[o]` · code.
    public let weightCodes: [Int8]
    /// One scale per output channel.
    public let weightScales: [Float]
    /// The fp32 bias, one per output channel.
    public let bias: [Float]
    /// [out, in / groups, kh, kw].
    public let weightShape: [Int]
    public let stride: Size2D, padding: Size2D, dilation: Size2D
    public let groups: Int

    private let lock = NSLock()
    private var plans: [PlanKey: Plan] = [:]

    /// Quantizes fp32 `weight` [out, in / groups, kh, kw] per output channel, symmetric (codes −127…127).
    /// - Throws: `TensorError` for a weight that is not rank 4, a bias that is not [out], a non-finite weight, or
    ///   groups that do not divide the channels.
    public convenience init(weight: Tensor, bias: Tensor?, stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1, groups: Int = 1) throws {
        guard weight.rank == 4 else { throw TensorError.shapeMismatch(op: "QuantizedConvolution", message: "weight must be [out, in / groups, kh, kw], got \(describe(weight.shape))") }
        let w = weight.scalars, out = weight.shape[0], perChannel = w.count / max(out, 1)
        var codes = [Int8](repeating: 0, count: w.count), scales = [Float](repeating: 1, count: out)
        for o in 0..<out {
            let row = w[o * perChannel..<(o + 1) * perChannel]
            guard row.allSatisfy(\.isFinite) else { throw TensorError.invalidArgument(op: "QuantizedConvolution", message: "output channel \(o)'s weights are not all finite") }
            let largest = row.map(abs).max() ?? 0
            scales[o] = largest > 0 ? largest / 127 : 1
            for (i, v) in row.enumerated() { codes[o * perChannel + i] = Int8((v / scales[o]).rounded(.toNearestOrEven)) }
        }
        try self.init(weightCodes: codes, weightScales: scales, bias: bias?.scalars ?? [Float](repeating: 0, count: out),
                      weightShape: weight.shape, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    /// A convolution with these codes and scales (as read from a file).
    /// - Throws: `TensorError` when counts disagree with `weightShape`, a scale is not finite and positive, a bias is
    ///   not finite, a code is −128 (symmetric codes stop at −127), or groups do not divide the output channels.
    public init(weightCodes: [Int8], weightScales: [Float], bias: [Float], weightShape: [Int], stride: Size2D = 1, padding: Size2D = 0,
                dilation: Size2D = 1, groups: Int = 1) throws {
        let op = "QuantizedConvolution"
        guard weightShape.count == 4, weightShape.allSatisfy({ $0 > 0 }), weightCodes.count == weightShape.reduce(1, *) else {
            throw TensorError.shapeMismatch(op: op, message: "\(weightCodes.count) weight codes for shape \(describe(weightShape))")
        }
        let out = weightShape[0]
        guard weightScales.count == out, bias.count == out else {
            throw TensorError.shapeMismatch(op: op, message: "\(weightScales.count) scales and \(bias.count) biases for \(out) output channels")
        }
        guard groups >= 1, out % groups == 0 else { throw TensorError.invalidArgument(op: op, message: "groups = \(groups) must divide the \(out) output channels") }
        guard weightScales.allSatisfy({ $0.isFinite && $0 > 0 }), bias.allSatisfy(\.isFinite) else {
            throw TensorError.invalidArgument(op: op, message: "weight scales must be finite and positive, and biases finite")
        }
        guard !weightCodes.contains(-128) else { throw TensorError.invalidArgument(op: op, message: "weight codes must lie in −127…127") }
        (self.weightCodes, self.weightScales, self.bias, self.weightShape) = (weightCodes, weightScales, bias, weightShape)
        (self.stride, self.padding, self.dilation, self.groups) = (stride, padding, dilation, groups)
    }

    /// Whether this CPU's int8 kernels take full 8-bit weights: a dot-product instruction (AVX-512 VNNI, AVX-VNNI or
    /// AMX) sums in 32 bits. Without one, each weight code runs halved (see the file's comment).
    public static var takesFullWeightCodes: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        return [dnnl_cpu_isa_avx512_core_vnni, dnnl_cpu_isa_avx2_vnni].contains { isa & $0.rawValue == $0.rawValue }
    }

    /// The codes and scales the kernels run: the stored ones, or on a CPU without a dot-product instruction each
    /// code halved (rounded half to even, so |code| ≤ 64) and its scale doubled.
    public var runtimeWeights: (codes: [Int8], scales: [Float]) {
        guard !QuantizedConvolution.takesFullWeightCodes else { return (weightCodes, weightScales) }
        return (weightCodes.map { Int8((Float($0) / 2).rounded(.toNearestOrEven)) }, weightScales.map { $0 * 2 })
    }

    /// The convolution of `x`'s values, plus the bias, plus `residual`'s values (same shape as the output), then
    /// ReLU when asked, as codes of `output`.
    /// - Throws: `TensorError` when `x` or `residual` does not fit.
    public func callAsFunction(_ x: QuantizedTensor, adding residual: QuantizedTensor? = nil, relu: Bool = false,
                               output: QuantizationParameters) throws -> QuantizedTensor {
        let plan = try self.plan(x, residual: residual.map { .codes($0.parameters) }, relu: relu, output: output)
        let dst = Memory(desc: plan.destination)
        if let residual {
            try check(residual.shape, plan.outputDims)
            reorder(residual.memory, into: dst)  // a copy (recorded, so single-image replays repeat it)
        }
        plan.run(x, dst)
        return QuantizedTensor(shape: plan.outputDims, parameters: output, memory: dst)
    }

    /// As ``callAsFunction(_:adding:relu:output:)`` with an fp32 result (and an fp32 residual).
    /// - Throws: `TensorError` when `x` or `residual` does not fit.
    public func values(_ x: QuantizedTensor, adding residual: Tensor? = nil, relu: Bool = false) throws -> Tensor {
        let plan = try self.plan(x, residual: residual.map { _ in .values }, relu: relu, output: nil)
        let dst = Memory(desc: plan.destination)
        if let residual {
            try check(residual.shape, plan.outputDims)
            reorder(residual.storage.preferredMemory(dims: residual.shape), into: dst)
        }
        plan.run(x, dst)
        return Tensor(shape: plan.outputDims, wrapping: dst)
    }

    private func check(_ residual: [Int], _ output: [Int]) throws {
        guard residual == output else {
            throw TensorError.shapeMismatch(op: "QuantizedConvolution", message: "residual \(describe(residual)) must have the output's shape \(describe(output))")
        }
    }

    // MARK: Plans

    enum ResidualKind: Hashable { case codes(QuantizationParameters), values }

    struct PlanKey: Hashable {
        let input: [Int], inputParameters: QuantizationParameters, residual: ResidualKind?, relu: Bool, output: QuantizationParameters?
    }

    /// A primitive for one input shape and one set of parameters, with the weights in its layout.
    final class Plan: @unchecked Sendable {
        let primitive: Primitive, weights: Memory, bias: Memory, outputDims: [Int], destination: MemoryDesc

        init(primitive: Primitive, weights: Memory, bias: Memory, outputDims: [Int]) {
            (self.primitive, self.weights, self.bias, self.outputDims) = (primitive, weights, bias, outputDims)
            destination = primitive.desc(dnnl_query_dst_md)
        }

        func run(_ x: QuantizedTensor, _ dst: Memory) {
            primitive.execute([(Arg.src, x.memory), (Arg.weights, weights), (Arg.bias, bias), (Arg.dst, dst)])
        }
    }

    private func plan(_ x: QuantizedTensor, residual: ResidualKind?, relu: Bool, output: QuantizationParameters?) throws -> Plan {
        let key = PlanKey(input: x.shape, inputParameters: x.parameters, residual: residual, relu: relu, output: output)
        if let hit = lock.withLock({ plans[key] }) { return hit }
        let made = try makePlan(key)
        return lock.withLock {
            if let raced = plans[key] { return raced }
            if plans.count >= 64 { plans.removeAll() }  // a server seeing many sizes: rebuild rather than grow without bound
            plans[key] = made
            return made
        }
    }

    private func makePlan(_ key: PlanKey) throws -> Plan {
        let op = "QuantizedConvolution"
        let input = key.input, out = weightShape[0]
        guard input.count == 4, input[1] == weightShape[1] * groups else {
            throw TensorError.shapeMismatch(op: op, message: "input \(describe(input)) must be NCHW with \(weightShape[1] * groups) channels")
        }
        let g = try WindowGeometry(op: op, input: Size2D(input[2], input[3]), kernel: Size2D(weightShape[2], weightShape[3]),
                                   stride: stride, padding: padding, dilation: dilation)
        let outDims = [input[0], out, g.output.height, g.output.width]
        let weightDims = groups == 1 ? weightShape : [groups, out / groups] + weightShape.dropFirst()
        let (codes, scales) = runtimeWeights

        var src = QuantizedTensor.layout(input).raw, wei = MemoryDesc.any(weightDims, type: dnnl_s8).raw
        var dst = (key.output != nil ? QuantizedTensor.layout(outDims) : MemoryDesc(dims: outDims, tag: dnnl_acdb)).raw
        var biasDesc = MemoryDesc.plain([out]).raw
        var d = dnnl_convolution_desc_t()
        try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, &src, &wei, &biasDesc, &dst,
                                                                 g.strides, g.dilates, g.padBegin, g.padEnd), "int8 conv2d \(input) * \(weightDims)")
        // oneDNN computes dst = outputScale[o] · (Σ (x − zx) · w + bias), then the post-ops, then adds dst's zero point.
        let inScale = key.inputParameters.scale, outScale = key.output?.scale ?? 1
        var outputScales = scales.map { inScale * $0 / outScale }
        var attr: dnnl_primitive_attr_t?, ops: dnnl_post_ops_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attr) }
        try dnnlCheck(dnnl_primitive_attr_set_output_scales(attr, Int64(out), 1 << 1, &outputScales), "primitive_attr_set_output_scales")
        var zeroIn = key.inputParameters.zeroPoint, zeroOut = key.output?.zeroPoint ?? 0
        if zeroIn != 0 { try dnnlCheck(dnnl_primitive_attr_set_zero_points(attr, Arg.src, 1, 0, &zeroIn), "source zero point") }
        if zeroOut != 0 { try dnnlCheck(dnnl_primitive_attr_set_zero_points(attr, Arg.dst, 1, 0, &zeroOut), "destination zero point") }
        try dnnlCheck(dnnl_post_ops_create(&ops), "post_ops_create")
        defer { dnnl_post_ops_destroy(ops) }
        switch key.residual {
        case .codes(let r)?: try dnnlCheck(dnnl_post_ops_append_sum_v3(ops, r.scale / outScale, r.zeroPoint, dnnl_u8), "post_ops_append_sum")
        case .values?: try dnnlCheck(dnnl_post_ops_append_sum(ops, 1), "post_ops_append_sum")
        case nil: break
        }
        if key.relu { try dnnlCheck(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "post_ops_append_eltwise") }
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, ops), "primitive_attr_set_post_ops")
        let primitive = try Primitive(opDesc: &d, attr: attr, name: "int8 conv2d forward")

        let plainWeights = Memory(desc: MemoryDesc(dims: weightDims, tag: MemoryDesc.plainTag(rank: weightDims.count), type: dnnl_s8))
        codes.withUnsafeBytes { plainWeights.data.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        let weights = reorder(plainWeights, to: primitive.desc(dnnl_query_weights_md))
        // The bias joins the int32 sum before the output scale, so it is given in the sum's units.
        let bias = Memory(desc: .plain([out]))
        for o in 0..<out { bias.floats[o] = self.bias[o] / (inScale * scales[o]) }
        return Plan(primitive: primitive, weights: weights, bias: bias, outputDims: outDims)
    }
}
