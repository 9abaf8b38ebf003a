// Matrix products on oneDNN's sgemm (Debian's OpenBLAS falls back to slow kernels on this CPU).
import CDNNL

/// C = alpha·op(A)·op(B) + beta·C over row-major buffers; `transA`/`transB` read A or B transposed.
func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float = 0, c: UnsafeMutablePointer<Float>) {
    guard m > 0 && n > 0 else { return }
    let lda = transA ? m : k, ldb = transB ? k : n
    dnnlMust(dnnl_sgemm(transA ? 84 : 78, transB ? 84 : 78, Int64(m), Int64(n), Int64(k), alpha,
                        a, Int64(max(lda, 1)), b, Int64(max(ldb, 1)), beta, c, Int64(n)), "sgemm")  // 84 'T', 78 'N'
}

extension Tensor {
    /// The matrix product of [m, k] and [k, n], giving [m, n].
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank == 2, other.rank == 2 else {
            throw TensorError.shapeMismatch(op: "matmul", message: "needs two matrices, got \(describe(shape)) × \(describe(other.shape))")
        }
        guard shape[1] == other.shape[0] else {
            throw TensorError.shapeMismatch(op: "matmul", message: "\(describe(shape)) × \(describe(other.shape)): inner dimensions \(shape[1]) and \(other.shape[0]) differ")
        }
        let (m, k, n) = (shape[0], shape[1], other.shape[1])
        let (a, b) = (detached(), other.detached())
        let pa = storage.plain, pb = other.storage.plain
        let out = Tensor.make([m, n]) { c in sgemm(transA: false, transB: false, m: m, n: n, k: k, a: pa, b: pb, c: c.baseAddress!) }
        return out.recorded("matmul", [self, other]) { g, needs in
            let pg = g.storage.plain
            // dA = dC·Bᵀ, dB = Aᵀ·dC
            let da = needs[0] ? Tensor.make([m, k]) { sgemm(transA: false, transB: true, m: m, n: k, k: n, a: pg, b: b.storage.plain, c: $0.baseAddress!) } : nil
            let db = needs[1] ? Tensor.make([k, n]) { sgemm(transA: true, transB: false, m: k, n: n, k: m, a: a.storage.plain, b: pg, c: $0.baseAddress!) } : nil
            return [da, db]
        }
    }

    /// A dense layer's affine map: x·Wᵀ + b with x [N, in] or tokens [N, T, in], W [out, in] (PyTorch's Linear
    /// layout), b [out].
    public func linear(weight: Tensor, bias: Tensor? = nil) throws -> Tensor {
        try traced([.dense(weight: weight, bias: bias)], [self]) {
            guard rank == 3 else { return try affine(weight: weight, bias: bias) }
            return try reshaped([shape[0] * shape[1], shape[2]]).affine(weight: weight, bias: bias).reshaped([shape[0], shape[1], weight.shape[0]])
        }
    }

    private func affine(weight: Tensor, bias: Tensor?) throws -> Tensor {
        guard rank == 2, weight.rank == 2, shape[1] == weight.shape[1] else {
            throw TensorError.shapeMismatch(op: "linear", message: "input \(describe(shape)) and weight \(describe(weight.shape)): expected [N, in] and [out, in]")
        }
        if let bias, bias.shape != [weight.shape[0]] {
            throw TensorError.shapeMismatch(op: "linear", message: "bias \(describe(bias.shape)) must be [\(weight.shape[0])]")
        }
        let (n, k, m) = (shape[0], shape[1], weight.shape[0])
        guard GradientMode.records(self, weight, bias) else {
            return try linearInference(weight: weight, bias: bias, n: n, k: k, m: m)
        }
        // x·Wᵀ straight from W's row-major values (sgemm reads it transposed): no transposed copy per call.
        let (x, w) = (detached(), weight.detached())
        let px = storage.plain, pw = weight.storage.plain
        let out = Tensor.make([n, m]) { c in sgemm(transA: false, transB: true, m: n, n: m, k: k, a: px, b: pw, c: c.baseAddress!) }
        let y = out.recorded("linear", [self, weight]) { g, needs in
            let pg = g.storage.plain
            // dx = dy·W, dW = dyᵀ·x
            let dx = needs[0] ? Tensor.make([n, k]) { sgemm(transA: false, transB: false, m: n, n: k, k: m, a: pg, b: w.storage.plain, c: $0.baseAddress!) } : nil
            let dw = needs[1] ? Tensor.make([m, k]) { sgemm(transA: true, transB: false, m: m, n: k, k: n, a: pg, b: x.storage.plain, c: $0.baseAddress!) } : nil
            return [dx, dw]
        }
        return try bias.map { try y + $0 } ?? y
    }

    /// `linear` without gradients: one oneDNN inner product with the bias added in the same pass. Being a primitive,
    /// it is also part of a ``RecordedFunction`` (a classifier's last layer; sgemm and the Swift bias sum are not).
    private func linearInference(weight: Tensor, bias: Tensor?, n: Int, k: Int, m: Int) throws -> Tensor {
        let key = PrimitiveKey("linear inference", numbers: [n, k, m, bias != nil ? 1 : 0])
        let prim = try Device.current.cache.primitive(key) {
            var src = MemoryDesc.plain([n, k]).raw, wei = MemoryDesc.plain([m, k]).raw, dst = MemoryDesc.plain([n, m]).raw
            var d = dnnl_inner_product_desc_t()
            try withOptionalPointer(bias != nil ? MemoryDesc.plain([m]).raw : nil) { b in
                try dnnlCheck(dnnl_inner_product_forward_desc_init(&d, dnnl_forward_inference, &src, &wei, b, &dst),
                              "linear \(describe([n, k])) · \(describe([m, k]))ᵀ")
            }
            return try Primitive(opDesc: &d, name: "linear inference")
        }
        let inputs = [(Arg.src, self), (Arg.weights, weight)] + (bias.map { [(Arg.bias, $0)] } ?? [])
        return Tensor(shape: [n, m], wrapping: prim.run(reading: inputs, writing: [Arg.dst])[0])
    }
}
