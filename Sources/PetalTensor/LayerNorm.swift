// Layer normalisation over the channels (Ba, Kiros & Hinton 2016), as ConvNeXt and ViT use it: each position's
// channel vector is normalised by its own mean and (biased) variance, then scaled and shifted per channel. It runs on
// oneDNN's layer-norm primitive, which normalises the last axis of a row-major array: an NCHW tensor is read
// channels-last (one reorder, kept by the tensor), which is exactly rows of C values, and the result stays
// channels-last for the next op to read as it prefers.
import CDNNL

/// The oneDNN primitives of one layer-norm shape and mode; the backward one is made on first use.
final class LayerNormPlan: @unchecked Sendable {
    let forward: Primitive
    private let rows: MemoryDesc, statistics: MemoryDesc, epsilon: Float
    private let backwardPrimitive = LazyPrimitive()
    static let flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue

    init(rows: Int, channels: Int, epsilon: Float, training: Bool) throws {
        (self.rows, statistics, self.epsilon) = (MemoryDesc.plain([rows, channels]), MemoryDesc.plain([rows]), epsilon)
        var d = dnnl_layer_normalization_desc_t()
        var data = self.rows.raw, stat = statistics.raw
        try dnnlCheck(dnnl_layer_normalization_forward_desc_init(&d, training ? dnnl_forward_training : dnnl_forward_inference, &data, &stat,
                                                                 epsilon, Self.flags), "layerNorm forward [\(rows), \(channels)]")
        forward = try Primitive(opDesc: &d, name: "layerNorm forward")
    }

    func backward() throws -> Primitive {
        try backwardPrimitive.get {
            var d = dnnl_layer_normalization_desc_t()
            var data = rows.raw, stat = statistics.raw
            try dnnlCheck(dnnl_layer_normalization_backward_desc_init(&d, dnnl_backward, &data, &data, &stat, epsilon, Self.flags),
                          "layerNorm backward")
            return try Primitive(opDesc: &d, hint: forward, name: "layerNorm backward")
        }
    }
}

extension Tensor {
    /// γ·(x − μ)/√(σ² + ε) + β over the channels of each position: axis 1 of [N, C, H, W] (PyTorch's `LayerNorm2d`
    /// in ConvNeXt, or `LayerNorm` after a permute to channels-last), the last axis of [N, C] and [N, T, C].
    /// - Parameters:
    ///   - scale, shift: γ and β, shape [C].
    ///   - epsilon: added to the variance before the square root (PyTorch's default 1e-5; ConvNeXt uses 1e-6).
    public func layerNorm(scale: Tensor, shift: Tensor, epsilon: Float = 1e-5) throws -> Tensor {
        try traced([.layerNorm(scale: scale, shift: shift, epsilon: epsilon)], [self]) {
            try layerNormForward(scale: scale, shift: shift, epsilon: epsilon)
        }
    }

    /// The number of channels layer norm normalises over: axis 1 of a rank-4 tensor, else the last axis.
    var layerNormChannels: Int { rank == 4 ? shape[1] : shape[rank - 1] }

    private func layerNormForward(scale: Tensor, shift: Tensor, epsilon: Float) throws -> Tensor {
        let op = "layerNorm"
        guard (2...4).contains(rank) else { throw TensorError.shapeMismatch(op: op, message: "needs [N, C], [N, T, C] or [N, C, H, W], got \(describe(shape))") }
        let c = layerNormChannels, rows = count / max(c, 1)
        for (name, t) in [("scale", scale), ("shift", shift)] where t.shape != [c] {
            throw TensorError.shapeMismatch(op: op, message: "\(name) \(describe(t.shape)) must be [\(c)] for input \(describe(shape))")
        }
        guard epsilon > 0 else { throw TensorError.invalidArgument(op: op, message: "epsilon must be positive, got \(epsilon)") }
        guard rows > 0 && c > 0 else { throw TensorError.shapeMismatch(op: op, message: "needs a non-empty input, got \(describe(shape))") }
        let training = GradientMode.records(self, scale, shift)
        let plan = try Device.current.cache.plan(PrimitiveKey("layerNorm eps\(epsilon) train:\(training)", numbers: [rows, c])) {
            try LayerNormPlan(rows: rows, channels: c, epsilon: epsilon, training: training)
        }
        // Channels-last NCHW and row-major [N, C] or [N, T, C] are all rows of C values.
        let layout = rank == 4 ? MemoryDesc(dims: shape, tag: dnnl_nhwc) : MemoryDesc.plain(shape)
        let rowsDesc = MemoryDesc.plain([rows, c]), channel = MemoryDesc.plain([c]), statDesc = MemoryDesc.plain([rows])
        let source = storage.memory(layout)
        let src = Memory(desc: rowsDesc, borrowing: source.data, owner: source)
        let dst = Memory(desc: rowsDesc)
        var args = [(Arg.src, src), (Arg.dst, dst), (Arg.scale, scale.storage.memory(channel)), (Arg.shift, shift.storage.memory(channel))]
        let mean = Memory(desc: statDesc), variance = Memory(desc: statDesc)
        if training { args += [(Arg.mean, mean), (Arg.variance, variance)] }
        plan.forward.execute(args)
        let out = Tensor(shape: shape, wrapping: Memory(desc: layout, borrowing: dst.data, owner: dst))
        let (gamma, beta) = (scale.detached(), shift.detached())
        return out.recorded(op, [self, scale, shift]) { g, needs in
            let bwd = try plan.backward()
            let incoming = g.storage.memory(layout)
            let diffSrc = Memory(desc: rowsDesc), diffScale = Memory(desc: channel), diffShift = Memory(desc: channel)
            bwd.execute([(Arg.src, src), (Arg.mean, mean), (Arg.variance, variance),
                         (Arg.diffDst, Memory(desc: rowsDesc, borrowing: incoming.data, owner: incoming)),
                         (Arg.scale, gamma.storage.memory(channel)), (Arg.shift, beta.storage.memory(channel)),
                         (Arg.diffSrc, diffSrc), (Arg.diffScale, diffScale), (Arg.diffShift, diffShift)])
            return [needs[0] ? Tensor(shape: g.shape, wrapping: Memory(desc: layout, borrowing: diffSrc.data, owner: diffSrc)) : nil,
                    needs[1] ? Tensor(shape: [c], wrapping: diffScale) : nil, needs[2] ? Tensor(shape: [c], wrapping: diffShift) : nil]
        }
    }

    /// Each channel multiplied by its own factor (ConvNeXt's layer scale): axis 1 of [N, C, H, W], the last axis of
    /// [N, C] and [N, T, C]. `factors` holds C values in any shape ([C] or PyTorch's [C, 1, 1]).
    public func scaledChannels(by factors: Tensor) throws -> Tensor {
        let c = rank >= 2 ? layerNormChannels : 0
        guard rank >= 2, factors.count == c else {
            throw TensorError.shapeMismatch(op: "scaledChannels", message: "factors \(describe(factors.shape)) must hold one value per channel of \(describe(shape))")
        }
        let vector = try factors.reshaped([c])
        return try traced([.channelScale(vector)], [self]) {
            try self * factors.reshaped(rank == 4 ? [1, c, 1, 1] : Array(repeating: 1, count: rank - 1) + [c])
        }
    }
}

extension Naive {
    /// Layer norm over the channels of `s` (axis 1 of rank 4, else the last axis) in Double, with the biased variance.
    static func layerNorm(_ x: [Double], _ s: [Int], scale: [Double], shift: [Double], epsilon: Double) -> [Double] {
        let c = s.count == 4 ? s[1] : s[s.count - 1]
        let inner = s.count == 4 ? s[2] * s[3] : 1  // distance between a position's consecutive channels
        var y = x
        for row in 0..<(x.count / c) {
            let start = (row / inner) * c * inner + row % inner
            let idx = (0..<c).map { start + $0 * inner }
            let mean = idx.reduce(0) { $0 + x[$1] } / Double(c)
            let variance = idx.reduce(0) { $0 + (x[$1] - mean) * (x[$1] - mean) } / Double(c)
            for (k, i) in idx.enumerated() { y[i] = scale[k] * (x[i] - mean) / (variance + epsilon).squareRoot() + shift[k] }
        }
        return y
    }
}
