// Inference-time convolution with what follows it fused into the same pass over the output: a residual sum and a
// ReLU as oneDNN post-ops. With a batch norm folded into weights and bias by the caller (PetalNN does this), a
// ResNet block's "conv → BN → (+ shortcut) → ReLU" writes its activation once instead of four times.
import CDNNL

/// What a fused inference convolution does to its output: `relu(conv + bias + residual)`.
struct ConvolutionPostOps: Hashable, CustomStringConvertible {
    var sum = false
    var relu = false

    var description: String { (sum ? "+sum" : "") + (relu ? "+relu" : "") }

    /// Runs `body` with a oneDNN attribute carrying these post-ops (nil when there are none).
    func withAttributes<R>(_ body: (dnnl_primitive_attr_t?) throws -> R) throws -> R {
        guard sum || relu else { return try body(nil) }
        var attr: dnnl_primitive_attr_t?, ops: dnnl_post_ops_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attr) }
        try dnnlCheck(dnnl_post_ops_create(&ops), "post_ops_create")
        defer { dnnl_post_ops_destroy(ops) }
        // Order matters: the residual is added before the ReLU, as in relu(bn(conv(x)) + shortcut).
        if sum { try dnnlCheck(dnnl_post_ops_append_sum(ops, 1), "post_ops_append_sum") }
        if relu { try dnnlCheck(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0), "post_ops_append_eltwise") }
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, ops), "primitive_attr_set_post_ops")
        return try body(attr)
    }
}

extension Tensor {
    /// `relu(conv2d(self) + bias + residual)` in one oneDNN primitive, for inference: nothing is recorded for
    /// autodiff, so it runs only while gradients are off (`withoutGradients`).
    /// - Parameters:
    ///   - residual: added to the convolution's output before the ReLU; must have the output's shape.
    ///   - relu: clamp the result at zero.
    /// - Throws: `TensorError.invalidArgument` while gradients are recorded; shape errors as ``conv2d(weight:bias:stride:padding:dilation:groups:precision:)``.
    public func conv2dInference(weight: Tensor, bias: Tensor? = nil, stride: Size2D = 1, padding: Size2D = 0, dilation: Size2D = 1,
                                groups: Int = 1, precision: Precision = .fp32, algorithm: ConvolutionAlgorithm = .auto,
                                singleImageChannelsLast: Bool = true, adding residual: Tensor? = nil, relu: Bool = false) throws -> Tensor {
        guard !GradientMode.isEnabled else {
            throw TensorError.invalidArgument(op: "conv2dInference", message: "records no gradients; call it inside withoutGradients")
        }
        let postOps = ConvolutionPostOps(sum: residual != nil, relu: relu)
        let plan = try convolutionPlan(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                                       precision: precision, algorithm: algorithm, singleImageChannelsLast: singleImageChannelsLast,
                                       postOps: postOps)
        if let residual, residual.shape != plan.outputDims {
            throw TensorError.shapeMismatch(op: "conv2dInference", message: "residual \(describe(residual.shape)) must have the output's shape \(describe(plan.outputDims))")
        }
        let fwd = plan.forward
        let dst = Memory(desc: fwd.desc(dnnl_query_dst_md))
        // The sum post-op accumulates into dst, so dst starts as a copy of the residual in dst's layout.
        if let residual { reorder(residual.storage.memory(dst.desc), into: dst) }
        var args = [(Arg.src, storage.memory(fwd.desc(dnnl_query_src_md))),
                    (Arg.weights, weight.storage.memory(fwd.desc(dnnl_query_weights_md))), (Arg.dst, dst)]
        if let bias { args.append((Arg.bias, bias.storage.memory(.plain(bias.shape)))) }
        fwd.execute(args)
        return Tensor(shape: plan.outputDims, wrapping: dst)
    }
}
