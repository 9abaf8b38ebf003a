// Batch normalisation over NCHW (Ioffe & Szegedy 2015) on oneDNN, optionally fused with the ReLU that
// follows it. Training normalises with the batch's statistics and updates the running ones as PyTorch
// does (momentum, unbiased variance); inference uses the running statistics.
import CDNNL

/// The oneDNN primitives of one batch-norm shape and mode; the backward one is made on first use.
final class BatchNormPlan: @unchecked Sendable {
    let forward: Primitive
    let flags: UInt32
    let epsilon: Float
    private let backwardPrimitive = LazyPrimitive()

    init(data: MemoryDesc, epsilon: Float, flags: UInt32, training: Bool) throws {
        self.flags = flags
        self.epsilon = epsilon
        var d = dnnl_batch_normalization_desc_t()
        var md = data.raw
        try dnnlCheck(dnnl_batch_normalization_forward_desc_init(&d, training ? dnnl_forward_training : dnnl_forward_inference, &md, epsilon, flags),
                      "batchNorm2d forward \(data.dims)")
        forward = try Primitive(opDesc: &d, name: "batchNorm2d forward")
    }

    func backward() throws -> Primitive {
        try backwardPrimitive.get {
            var d = dnnl_batch_normalization_desc_t()
            var md = forward.desc(dnnl_query_src_md).raw
            try dnnlCheck(dnnl_batch_normalization_backward_desc_init(&d, dnnl_backward, &md, &md, epsilon, flags), "batchNorm2d backward")
            return try Primitive(opDesc: &d, hint: forward, name: "batchNorm2d backward")
        }
    }
}

extension Tensor {
    /// Batch normalisation of an NCHW tensor, per channel: γ·(x − μ)/√(σ² + ε) + β, then ReLU if `fusedReLU`.
    /// - Parameters:
    ///   - scale, shift: γ and β, shape [C].
    ///   - runningMean, runningVariance: shape [C]; read in inference, updated in place in training.
    ///   - training: normalise with this batch's statistics (biased variance) and update the running ones
    ///     with `momentum` (PyTorch's convention: new = (1 − m)·old + m·batch).
    ///   - unbiasedRunningVariance: the running variance takes the batch's unbiased variance (PyTorch) or its biased
    ///     one (Keras).
    ///   - synchronizer: in training, take the statistics over the batches of every rank of this communicator
    ///     (synchronised batch norm; see `synchronizedBatchNorm2d`).
    public func batchNorm2d(scale: Tensor, shift: Tensor, runningMean: Tensor, runningVariance: Tensor,
                            training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5, unbiasedRunningVariance: Bool = true,
                            fusedReLU: Bool = false, synchronizer: Communicator? = nil) throws -> Tensor {
        let compute = {
            try batchNormForward(scale: scale, shift: shift, runningMean: runningMean, runningVariance: runningVariance, training: training,
                                 momentum: momentum, epsilon: epsilon, unbiased: unbiasedRunningVariance, fusedReLU: fusedReLU,
                                 synchronizer: synchronizer)
        }
        // Training normalises with the batch's own statistics, which a graph of running statistics cannot describe.
        guard !training else { return try compute() }
        let norm = GraphOperation.batchNorm(scale: scale, shift: shift, mean: runningMean, variance: runningVariance, epsilon: epsilon)
        return try traced(fusedReLU ? [norm, .relu] : [norm], [self], compute)
    }

    private func batchNormForward(scale: Tensor, shift: Tensor, runningMean: Tensor, runningVariance: Tensor, training: Bool,
                                  momentum: Float, epsilon: Float, unbiased: Bool, fusedReLU: Bool, synchronizer: Communicator?) throws -> Tensor {
        let op = "batchNorm2d"
        guard rank == 4 else { throw TensorError.shapeMismatch(op: op, message: "input must be NCHW (rank 4), got \(describe(shape))") }
        let c = shape[1]
        for (name, t) in [("scale", scale), ("shift", shift), ("runningMean", runningMean), ("runningVariance", runningVariance)] where t.shape != [c] {
            throw TensorError.shapeMismatch(op: op, message: "\(name) \(describe(t.shape)) must be [\(c)] for input \(describe(shape))")
        }
        let m = shape[0] * shape[2] * shape[3]
        if training && m < 2 {
            throw TensorError.invalidArgument(op: op, message: "training needs more than one value per channel, got input \(describe(shape))")
        }
        guard epsilon > 0 else { throw TensorError.invalidArgument(op: op, message: "epsilon must be positive, got \(epsilon)") }

        if training, let synchronizer {
            return try synchronizedBatchNorm2d(scale: scale, shift: shift, runningMean: runningMean, runningVariance: runningVariance,
                                               momentum: momentum, epsilon: epsilon, unbiased: unbiased, fusedReLU: fusedReLU,
                                               communicator: synchronizer)
        }
        let needsGrad = GradientMode.records(self, scale, shift)
        let src = batchNormSource()
        var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        if !training { flags |= dnnl_use_global_stats.rawValue }
        if fusedReLU { flags |= dnnl_fuse_norm_relu.rawValue }
        let key = PrimitiveKey("batchNorm2d eps\(epsilon) flags\(flags) train:\(needsGrad || training)", src.desc)
        let plan = try Device.current.cache.plan(key) {
            try BatchNormPlan(data: src.desc, epsilon: epsilon, flags: flags, training: needsGrad || training)
        }
        let channel = MemoryDesc.plain([c])
        let dst = Memory(desc: src.desc)
        let mean = training ? Memory(desc: channel) : runningMean.storage.memory(channel)
        let variance = training ? Memory(desc: channel) : runningVariance.storage.memory(channel)
        let workspace = fusedReLU && (needsGrad || training) ? Memory(desc: plan.forward.desc(dnnl_query_workspace_md)) : nil
        var args = [(Arg.src, src), (Arg.dst, dst), (Arg.mean, mean), (Arg.variance, variance),
                    (Arg.scale, scale.storage.memory(channel)), (Arg.shift, shift.storage.memory(channel))]
        if let workspace { args.append((Arg.workspace, workspace)) }
        plan.forward.execute(args)

        if training {
            let correction = unbiased ? Float(m) / Float(m - 1) : 1
            runningMean.withUnsafeMutableBufferPointer { r in for i in 0..<c { r[i] = (1 - momentum) * r[i] + momentum * mean.floats[i] } }
            runningVariance.withUnsafeMutableBufferPointer { r in for i in 0..<c { r[i] = (1 - momentum) * r[i] + momentum * variance.floats[i] * correction } }
        }
        let out = Tensor(shape: shape, wrapping: dst)
        let (x, gamma, beta) = (detached(), scale.detached(), shift.detached())
        return out.recorded(op, [self, scale, shift]) { g, needs in
            let bwd = try plan.backward()
            let diffSrc = Memory(desc: src.desc), diffScale = Memory(desc: channel), diffShift = Memory(desc: channel)
            var args = [(Arg.src, x.storage.memory(src.desc)), (Arg.mean, mean), (Arg.variance, variance),
                        (Arg.diffDst, g.storage.memory(src.desc)), (Arg.scale, gamma.storage.memory(channel)),
                        (Arg.shift, beta.storage.memory(channel)),  // oneDNN 2.6 requires it, though the gradient does not depend on β
                        (Arg.diffSrc, diffSrc), (Arg.diffScale, diffScale), (Arg.diffShift, diffShift)]
            if let workspace { args.append((Arg.workspace, workspace)) }
            bwd.execute(args)
            return [needs[0] ? Tensor(shape: x.shape, wrapping: diffSrc) : nil, needs[1] ? Tensor(shape: [c], wrapping: diffScale) : nil,
                    needs[2] ? Tensor(shape: [c], wrapping: diffShift) : nil]
        }
    }
}

extension Tensor {
    /// The memory batch norm reads: oneDNN 2.6's batch norm is far slower on channels-last data (what the AMX bf16
    /// convolutions produce) than on nChw16c (docs/DESIGN-CHANGES.md), so such data is converted first.
    func batchNormSource() -> Memory {
        let held = storage.preferredMemory(dims: shape)
        let blocked = Device.nativeChannelBlock == 16 ? dnnl_aBcd16b : dnnl_aBcd8b
        return held.desc == MemoryDesc(dims: shape, tag: dnnl_acdb) ? storage.memory(MemoryDesc(dims: shape, tag: blocked)) : held
    }
}

extension Naive {
    /// Training-mode batch norm in Double with the batch's biased variance.
    static func batchNorm2d(_ x: [Double], _ s: [Int], scale: [Double], shift: [Double], epsilon: Double, relu: Bool = false) -> [Double] {
        let (n, c, hw) = (s[0], s[1], s[2] * s[3])
        var y = x
        for ch in 0..<c {
            var idx: [Int] = []
            for b in 0..<n { for k in 0..<hw { idx.append((b * c + ch) * hw + k) } }
            let mean = idx.reduce(0) { $0 + x[$1] } / Double(idx.count)
            let variance = idx.reduce(0) { $0 + (x[$1] - mean) * (x[$1] - mean) } / Double(idx.count)
            for i in idx {
                let v = scale[ch] * (x[i] - mean) / (variance + epsilon).squareRoot() + shift[ch]
                y[i] = relu ? max(v, 0) : v
            }
        }
        return y
    }
}
