// Synchronised batch norm (PyTorch's SyncBatchNorm) for data-parallel training: each rank holds part of the global
// batch, and the per-channel statistics are those of the whole global batch.
// Forward: per-channel Σx and Σx² (in Double) are summed over ranks, and oneDNN normalises with the global mean and
// variance given as inputs (use_global_stats). Backward: oneDNN, with the same flags, treats the statistics as
// constants and returns (γ/σ)·dy with the local Σdy and Σdy·x̂; the two sums are combined over ranks and the terms the
// statistics contribute are subtracted here: dx = (γ/σ)·(dy − (A + x̂·B) / m), where m is this rank's values per
// channel and A, B are Σdy and Σdy·x̂ over all ranks, each rank's weighted by its share m/M of the global batch (a
// rank's dy is the gradient of its own mean loss; data-parallel training weights ranks by their images the same way).
import CDNNL

extension Tensor {
    /// Training-mode batch norm whose statistics are those of every rank's batch together; the running statistics
    /// are updated from the global ones, so they stay identical on every rank.
    func synchronizedBatchNorm2d(scale: Tensor, shift: Tensor, runningMean: Tensor, runningVariance: Tensor,
                                 momentum: Float, epsilon: Float, unbiased: Bool = true, fusedReLU: Bool, communicator: Communicator) throws -> Tensor {
        let (n, c, hw) = (shape[0], shape[1], shape[2] * shape[3])
        let m = n * hw
        let plain = storage.memory(.plain(shape))
        var sums = [Double](repeating: 0, count: 2 * c + 1)
        for b in 0..<n {
            for ch in 0..<c {
                let row = plain.floats + (b * c + ch) * hw
                var s = 0.0, s2 = 0.0
                for i in 0..<hw { let v = Double(row[i]); s += v; s2 += v * v }
                sums[ch] += s
                sums[c + ch] += s2
            }
        }
        sums[2 * c] = Double(m)
        sums = try communicator.allReduceSum(sums)
        let total = sums[2 * c]
        let mean = (0..<c).map { sums[$0] / total }
        let variance = (0..<c).map { max(sums[c + $0] / total - mean[$0] * mean[$0], 0) }

        let src = batchNormSource()
        var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue | dnnl_use_global_stats.rawValue
        if fusedReLU { flags |= dnnl_fuse_norm_relu.rawValue }
        let plan = try Device.current.cache.plan(PrimitiveKey("batchNorm2d eps\(epsilon) flags\(flags) train:true", src.desc)) {
            try BatchNormPlan(data: src.desc, epsilon: epsilon, flags: flags, training: true)
        }
        let channel = MemoryDesc.plain([c])
        let meanMemory = Memory(desc: channel), varianceMemory = Memory(desc: channel)
        for ch in 0..<c { (meanMemory.floats[ch], varianceMemory.floats[ch]) = (Float(mean[ch]), Float(variance[ch])) }
        let dst = Memory(desc: src.desc)
        let workspace = fusedReLU ? Memory(desc: plan.forward.desc(dnnl_query_workspace_md)) : nil
        var args = [(Arg.src, src), (Arg.dst, dst), (Arg.mean, meanMemory), (Arg.variance, varianceMemory),
                    (Arg.scale, scale.storage.memory(channel)), (Arg.shift, shift.storage.memory(channel))]
        if let workspace { args.append((Arg.workspace, workspace)) }
        plan.forward.execute(args)
        let correction = unbiased ? total / max(total - 1, 1) : 1
        runningMean.withUnsafeMutableBufferPointer { r in for i in 0..<c { r[i] = (1 - momentum) * r[i] + momentum * Float(mean[i]) } }
        runningVariance.withUnsafeMutableBufferPointer { r in for i in 0..<c { r[i] = (1 - momentum) * r[i] + momentum * Float(variance[i] * correction) } }

        let (x, gamma, beta) = (detached(), scale.detached(), shift.detached())
        let share = Double(m) / total
        return Tensor(shape: shape, wrapping: dst).recorded("batchNorm2d", [self, scale, shift]) { g, needs in
            let bwd = try plan.backward()
            let diffSrc = Memory(desc: src.desc), diffScale = Memory(desc: channel), diffShift = Memory(desc: channel)
            var args = [(Arg.src, x.storage.memory(src.desc)), (Arg.mean, meanMemory), (Arg.variance, varianceMemory),
                        (Arg.diffDst, g.storage.memory(src.desc)), (Arg.scale, gamma.storage.memory(channel)),
                        (Arg.shift, beta.storage.memory(channel)), (Arg.diffSrc, diffSrc), (Arg.diffScale, diffScale), (Arg.diffShift, diffShift)]
            if let workspace { args.append((Arg.workspace, workspace)) }
            bwd.execute(args)
            // Every rank combines its sums even when it needs no input gradient: the reduction is a meeting point.
            var ab = [Double](repeating: 0, count: 2 * c)
            for ch in 0..<c { (ab[ch], ab[c + ch]) = (Double(diffShift.floats[ch]) * share, Double(diffScale.floats[ch]) * share) }
            ab = try communicator.allReduceSum(ab)
            var dx: Tensor?
            if needs[0] {
                let local = Tensor(shape: x.shape, wrapping: diffSrc).storage.memory(.plain(x.shape))
                let out = Memory(desc: .plain(x.shape)), input = x.storage.memory(.plain(x.shape))
                let gammas = gamma.scalars
                for ch in 0..<c {
                    let sigma = (variance[ch] + Double(epsilon)).squareRoot()
                    let k = Double(gammas[ch]) / (sigma * Double(m))
                    let (a, b, mu) = (Float(k * ab[ch]), Float(k * ab[c + ch] / sigma), Float(mean[ch]))
                    for s in 0..<n {
                        let offset = (s * c + ch) * hw
                        for i in offset..<(offset + hw) { out.floats[i] = local.floats[i] - a - b * (input.floats[i] - mu) }
                    }
                }
                dx = Tensor(shape: x.shape, wrapping: out)
            }
            return [dx, needs[1] ? Tensor(shape: [c], wrapping: diffScale) : nil, needs[2] ? Tensor(shape: [c], wrapping: diffShift) : nil]
        }
    }
}
