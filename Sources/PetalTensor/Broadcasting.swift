// NumPy broadcasting: shapes align at the right; a dimension of 1 (or a missing one) stretches to match.

enum Broadcast {
    /// The broadcast shape of `a` and `b`, or an error naming the op and both shapes.
    static func shape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let r = max(a.count, b.count)
        let pa = Array(repeating: 1, count: r - a.count) + a, pb = Array(repeating: 1, count: r - b.count) + b
        return try zip(pa, pb).map { x, y in
            if x == y || y == 1 { return x }
            if x == 1 { return y }
            throw TensorError.shapeMismatch(op: op, message: "shapes \(describe(a)) and \(describe(b)) cannot be broadcast together")
        }
    }

    /// Element strides of `shape` seen as `target` (0 along stretched axes).
    static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: target.count - shape.count) + shape
        var s = Array(repeating: 0, count: target.count)
        var step = 1
        for i in stride(from: target.count - 1, through: 0, by: -1) {
            s[i] = padded[i] == 1 && target[i] != 1 ? 0 : step
            step *= padded[i]
        }
        return s
    }

    /// Walks `target` in row-major order one innermost row at a time, passing the row's start in the
    /// output and the matching offsets and inner strides of each source.
    static func forEachRow(_ target: [Int], _ strides: [[Int]], _ body: (_ out: Int, _ offsets: [Int], _ inner: [Int], _ n: Int) -> Void) {
        let total = target.reduce(1, *)
        guard total > 0 else { return }
        guard let n = target.last else { body(0, strides.map { _ in 0 }, strides.map { _ in 0 }, 1); return }
        let inner = strides.map { $0.last! }
        var index = Array(repeating: 0, count: target.count - 1)
        var offsets = strides.map { _ in 0 }
        var out = 0
        while out < total {
            body(out, offsets, inner, n)
            out += n
            var axis = target.count - 2
            while axis >= 0 {
                index[axis] += 1
                for k in offsets.indices { offsets[k] += strides[k][axis] }
                if index[axis] < target[axis] { break }
                for k in offsets.indices { offsets[k] -= strides[k][axis] * target[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

extension Tensor {
    /// Sums this tensor down to `target` (the reverse of broadcasting `target` up to `self.shape`).
    func summed(toShape target: [Int]) throws -> Tensor {
        if target == shape { return self }
        let padded = Array(repeating: 1, count: rank - target.count) + target
        let axes = (0..<rank).filter { padded[$0] == 1 && shape[$0] != 1 }
        return try sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }
}
