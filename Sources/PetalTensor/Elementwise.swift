// Elementwise arithmetic with broadcasting, and elementwise unary functions, with their gradients.
import Foundation

extension Tensor {
    /// Applies `f` pairwise with broadcasting; the shared kernel of +, −, ×, ÷.
    static func zipWith(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        let shape = try Broadcast.shape(a.shape, b.shape, op: op)
        let pa = a.storage.plain, pb = b.storage.plain
        if a.shape == b.shape {
            return make(shape) { o in for i in o.indices { o[i] = f(pa[i], pb[i]) } }
        }
        let strides = [Broadcast.strides(of: a.shape, in: shape), Broadcast.strides(of: b.shape, in: shape)]
        return make(shape) { o in
            let po = o.baseAddress!
            Broadcast.forEachRow(shape, strides) { out, offsets, inner, n in
                var ia = offsets[0], ib = offsets[1]
                for j in 0..<n {
                    po[out + j] = f(pa[ia], pb[ib])
                    ia += inner[0]; ib += inner[1]
                }
            }
        }
    }

    /// a ± b on two tensors of one shape that both live in the same blocked layout: add the raw buffers
    /// (zero padding stays zero), so residual sums never leave oneDNN's layout.
    static func blockedSum(_ a: Tensor, _ b: Tensor, sign: Float) -> Tensor? {
        guard a.shape == b.shape, !a.storage.isPlain || !b.storage.isPlain else { return nil }
        let ma = a.storage.preferredMemory(dims: a.shape)
        guard !ma.desc.isPlain else { return nil }
        let mb = b.storage.memory(ma.desc)
        let out = Memory(desc: ma.desc)
        let pa = ma.floats, pb = mb.floats, po = out.floats
        for i in 0..<ma.floatCount { po[i] = pa[i] + sign * pb[i] }
        return Tensor(shape: a.shape, wrapping: out)
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor {
        // Only a sum of two values of one shape is a graph `add`; a broadcast sum leaves its result untraced.
        guard a.shape == b.shape else { return try sum(a, b) }
        return try a.traced([.add], [a, b]) { try sum(a, b) }
    }

    private static func sum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = try blockedSum(a, b, sign: 1) ?? zipWith(a, b, op: "add", +)
        return out.recorded("add", [a, b]) { g, needs in
            [needs[0] ? try g.summed(toShape: a.shape) : nil, needs[1] ? try g.summed(toShape: b.shape) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) throws -> Tensor {
        let out = try blockedSum(a, b, sign: -1) ?? zipWith(a, b, op: "subtract", -)
        return out.recorded("subtract", [a, b]) { g, needs in
            [needs[0] ? try g.summed(toShape: a.shape) : nil, needs[1] ? try (-g).summed(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) throws -> Tensor {
        // A product whose second factor broadcasts into the first (a channel gate [N, C, 1, 1] on [N, C, H, W], as
        // squeeze-and-excitation computes) is a graph `multiply`; other products leave their result untraced.
        guard a.rank == b.rank, (try? Broadcast.shape(a.shape, b.shape, op: "multiply")) == a.shape else { return try product(a, b) }
        return try a.traced([.multiply], [a, b]) { try product(a, b) }
    }

    private static func product(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let (va, vb) = (a.detached(), b.detached())
        return try zipWith(a, b, op: "multiply", *).recorded("multiply", [a, b]) { g, needs in
            [needs[0] ? try (g * vb).summed(toShape: a.shape) : nil, needs[1] ? try (g * va).summed(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) throws -> Tensor {
        let (va, vb) = (a.detached(), b.detached())
        return try zipWith(a, b, op: "divide", /).recorded("divide", [a, b]) { g, needs in
            [needs[0] ? try (g / vb).summed(toShape: a.shape) : nil,
             needs[1] ? try (-(g * va) / (vb * vb)).summed(toShape: b.shape) : nil]
        }
    }

    public static func + (a: Tensor, b: Float) throws -> Tensor { try a + Tensor(b) }
    public static func - (a: Tensor, b: Float) throws -> Tensor { try a - Tensor(b) }
    public static func * (a: Tensor, b: Float) throws -> Tensor { try a * Tensor(b) }
    public static func / (a: Tensor, b: Float) throws -> Tensor { try a / Tensor(b) }
    public static func * (a: Float, b: Tensor) throws -> Tensor { try Tensor(a) * b }

    /// Applies a unary function elementwise (plain layout).
    func mapped(_ f: (Float) -> Float) -> Tensor {
        let p = storage.plain
        return Tensor.make(shape) { o in for i in o.indices { o[i] = f(p[i]) } }
    }

    public static prefix func - (a: Tensor) -> Tensor {
        a.mapped { -$0 }.recorded("negate", [a]) { g, _ in [-g] }
    }

    /// eˣ elementwise.
    public func exp() throws -> Tensor {
        let out = mapped { Foundation.exp($0) }
        let value = out.detached()
        return out.recorded("exp", [self]) { g, _ in [try g * value] }
    }

    /// Natural logarithm elementwise (−inf at 0, NaN below, as IEEE says).
    public func log() throws -> Tensor {
        let x = detached()
        return mapped { Foundation.log($0) }.recorded("log", [self]) { g, _ in [try g / x] }
    }

    /// x² elementwise.
    public func squared() throws -> Tensor { try self * self }
}
