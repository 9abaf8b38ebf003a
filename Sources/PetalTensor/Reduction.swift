// Sums and means over axes, with gradients that broadcast back to the input's shape.

extension Tensor {
    /// Sums over `axes` (negative axes count from the end). Kept axes become 1 when `keepingDimensions`.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
        let normal = try normalizedAxes(axes, op: "sum")
        let kept = shape.indices.map { normal.contains($0) ? 1 : shape[$0] }
        let strides = [Broadcast.strides(of: kept, in: shape)]
        let src = storage.plain
        let reduced = Tensor.make(kept) { o in
            o.initialize(repeating: 0)
            let po = o.baseAddress!
            Broadcast.forEachRow(shape, strides) { start, offsets, inner, n in
                var k = offsets[0]
                for j in 0..<n { po[k] += src[start + j]; k += inner[0] }
            }
        }
        let inputShape = shape
        let out = keepingDimensions ? reduced : try reduced.reshaped(shape.indices.filter { !normal.contains($0) }.map { shape[$0] })
        return out.recorded("sum", [self]) { g, _ in
            [try g.reshaped(kept).broadcast(to: inputShape)]
        }
    }

    /// Sum of all elements, as a scalar tensor.
    public func sum() throws -> Tensor { try sum(alongAxes: Array(shape.indices)) }

    /// Mean over `axes`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) throws -> Tensor {
        let normal = try normalizedAxes(axes, op: "mean")
        let n = normal.map { shape[$0] }.reduce(1, *)
        return try sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(max(n, 1))
    }

    /// Mean of all elements, as a scalar tensor.
    public func mean() throws -> Tensor { try mean(alongAxes: Array(shape.indices)) }

    /// Copies this tensor along its size-1 (or missing leading) axes to `target`.
    public func broadcast(to target: [Int]) throws -> Tensor {
        let check = try Broadcast.shape(shape, target, op: "broadcast")
        guard check == target else {
            throw TensorError.shapeMismatch(op: "broadcast", message: "cannot broadcast \(describe(shape)) to \(describe(target))")
        }
        if target == shape { return self }
        let from = shape
        return try (Tensor.zipWith(self, Tensor.zeros(target), op: "broadcast") { x, _ in x })
            .recorded("broadcast", [self]) { g, _ in [try g.summed(toShape: from)] }
    }

    func normalizedAxes(_ axes: [Int], op: String) throws -> Set<Int> {
        Set(try axes.map { a in
            let n = a < 0 ? a + rank : a
            guard n >= 0 && n < rank else {
                throw TensorError.invalidArgument(op: op, message: "axis \(a) is out of range for shape \(describe(shape))")
            }
            return n
        })
    }
}
