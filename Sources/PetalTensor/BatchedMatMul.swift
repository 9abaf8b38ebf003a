// Batches of matrix products (attention's query-key scores and weighted values) on oneDNN's sgemm, one product per
// batch item.

extension Tensor {
    /// The product of each matrix of [B, m, k] with the matching one of `other`, [B, k, n] (or [B, n, k] read
    /// transposed when `transposingOther`), giving [B, m, n].
    public func batchedMatmul(_ other: Tensor, transposingOther: Bool = false) throws -> Tensor {
        let op = "batchedMatmul"
        guard rank == 3, other.rank == 3, shape[0] == other.shape[0] else {
            throw TensorError.shapeMismatch(op: op, message: "needs two batches of matrices [B, m, k] and [B, k, n], got \(describe(shape)) × \(describe(other.shape))")
        }
        let (b, m, k) = (shape[0], shape[1], shape[2])
        let n = transposingOther ? other.shape[1] : other.shape[2]
        guard (transposingOther ? other.shape[2] : other.shape[1]) == k else {
            throw TensorError.shapeMismatch(op: op, message: "\(describe(shape)) × \(describe(other.shape))\(transposingOther ? "ᵀ" : ""): inner dimensions differ")
        }
        let (x, y) = (detached(), other.detached())
        let out = Tensor.make([b, m, n]) { c in
            let (pa, pb) = (storage.plain, other.storage.plain)
            for i in 0..<b { sgemm(transA: false, transB: transposingOther, m: m, n: n, k: k, a: pa + i * m * k, b: pb + i * k * n, c: c.baseAddress! + i * m * n) }
        }
        return out.recorded(op, [self, other]) { g, needs in
            let (pg, pa, pb) = (g.storage.plain, x.storage.plain, y.storage.plain)
            // C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC. C = A·Bᵀ: dA = dC·B, dB = dCᵀ·A.
            let da = needs[0] ? Tensor.make([b, m, k]) { o in
                for i in 0..<b {
                    sgemm(transA: false, transB: !transposingOther, m: m, n: k, k: n, a: pg + i * m * n, b: pb + i * k * n, c: o.baseAddress! + i * m * k)
                }
            } : nil
            let db = needs[1] ? Tensor.make(y.shape) { o in
                for i in 0..<b {
                    if transposingOther {
                        sgemm(transA: true, transB: false, m: n, n: k, k: m, a: pg + i * m * n, b: pa + i * m * k, c: o.baseAddress! + i * k * n)
                    } else {
                        sgemm(transA: true, transB: false, m: k, n: n, k: m, a: pa + i * m * k, b: pg + i * m * n, c: o.baseAddress! + i * k * n)
                    }
                }
            } : nil
            return [da, db]
        }
    }
}
