// Reshape, permute, batch slicing and concatenation: moves of values without arithmetic.

extension Tensor {
    /// The same values with another shape; one dimension may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        let inferred = newShape.filter { $0 == -1 }.count
        guard inferred <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
            throw TensorError.invalidArgument(op: "reshape", message: "at most one −1 and no other negative dimension allowed, got \(describe(newShape))")
        }
        if inferred == 1, let i = newShape.firstIndex(of: -1) {
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(op: "reshape", message: "cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
            }
            target[i] = count / known
        }
        guard target.reduce(1, *) == count else {
            throw TensorError.shapeMismatch(op: "reshape", message: "cannot reshape \(describe(shape)) (\(count) elements) to \(describe(newShape))")
        }
        if target == shape { return self }
        _ = storage.plain  // a reshape reinterprets row-major order, so the plain copy must exist
        let from = shape
        return Tensor(shape: target, storage: storage).recorded("reshape", [self]) { g, _ in [try g.reshaped(from)] }
    }

    /// Flattens every axis after the first: [N, C, H, W] → [N, C·H·W].
    public func flattened() throws -> Tensor {
        guard rank >= 1 else { throw TensorError.shapeMismatch(op: "flatten", message: "needs rank >= 1, got a scalar") }
        return try traced([.flatten], [self]) { try reshaped([shape[0], -1]) }
    }

    /// Reorders axes: output axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) throws -> Tensor {
        guard axes.count == rank, Set(axes) == Set(0..<rank) else {
            throw TensorError.invalidArgument(op: "permute", message: "\(axes) is not a permutation of the \(rank) axes of \(describe(shape))")
        }
        let outShape = axes.map { shape[$0] }
        var inStrides = Array(repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = [axes.map { inStrides[$0] }]
        let src = storage.plain
        var inverse = Array(repeating: 0, count: rank)
        for (i, a) in axes.enumerated() { inverse[a] = i }
        return Tensor.make(outShape) { o in
            let po = o.baseAddress!
            Broadcast.forEachRow(outShape, strides) { start, offsets, inner, n in
                var k = offsets[0]
                for j in 0..<n { po[start + j] = src[k]; k += inner[0] }
            }
        }.recorded("permute", [self]) { g, _ in [try g.permuted(inverse)] }
    }

    /// Swaps the last two axes of a matrix (or of each matrix in a batch).
    public func transposed() throws -> Tensor {
        guard rank >= 2 else { throw TensorError.shapeMismatch(op: "transpose", message: "needs rank >= 2, got \(describe(shape))") }
        var axes = Array(0..<rank)
        axes.swapAt(rank - 1, rank - 2)
        return try permuted(axes)
    }

    /// Items `range` along the first (batch) axis.
    public func slice(batch range: Range<Int>) throws -> Tensor {
        guard rank >= 1, range.lowerBound >= 0, range.upperBound <= shape[0] else {
            throw TensorError.invalidArgument(op: "slice", message: "batch range \(range) is outside 0..<\(shape.first ?? 0) of shape \(describe(shape))")
        }
        let item = count / max(shape[0], 1)
        var outShape = shape
        outShape[0] = range.count
        let src = storage.plain + range.lowerBound * item
        let full = shape
        return Tensor.make(outShape) { $0.baseAddress!.update(from: src, count: range.count * item) }
            .recorded("slice", [self]) { g, _ in
                [Tensor.make(full) { o in
                    o.initialize(repeating: 0)
                    (o.baseAddress! + range.lowerBound * item).update(from: g.storage.plain, count: g.count)
                }]
            }
    }

    /// Joins tensors along `axis` (0: batch, 1: channels, …); every other dimension must agree.
    public static func concatenate(_ parts: [Tensor], alongAxis axis: Int) throws -> Tensor {
        guard let first = parts.first else { throw TensorError.invalidArgument(op: "concatenate", message: "needs at least one tensor") }
        guard axis >= 0 && axis < first.rank else {
            throw TensorError.invalidArgument(op: "concatenate", message: "axis \(axis) is out of range for rank \(first.rank)")
        }
        for p in parts where p.rank != first.rank || (0..<first.rank).contains(where: { $0 != axis && p.shape[$0] != first.shape[$0] }) {
            throw TensorError.shapeMismatch(op: "concatenate", message: "shapes \(describe(first.shape)) and \(describe(p.shape)) differ outside axis \(axis)")
        }
        let outer = first.shape[..<axis].reduce(1, *)
        let chunks = parts.map { $0.shape[axis...].reduce(1, *) }  // elements per outer index, per part
        let row = chunks.reduce(0, +)
        var outShape = first.shape
        outShape[axis] = parts.map { $0.shape[axis] }.reduce(0, +)
        let out = Tensor.make(outShape) { o in
            var start = 0
            for (p, c) in zip(parts, chunks) {
                let src = p.storage.plain
                for i in 0..<outer { (o.baseAddress! + i * row + start).update(from: src + i * c, count: c) }
                start += c
            }
        }
        let shapes = parts.map(\.shape)
        return out.recorded("concatenate", parts) { g, needs in
            var start = 0
            let gp = g.storage.plain
            return zip(shapes, chunks).enumerated().map { k, sc in
                defer { start += sc.1 }
                guard needs[k] else { return nil }
                let s = start
                return Tensor.make(sc.0) { o in
                    for i in 0..<outer { (o.baseAddress! + i * sc.1).update(from: gp + i * row + s, count: sc.1) }
                }
            }
        }
    }
}
