// Conventions, stated once: Float32 values; row-major shapes; images are NCHW (batch, channels, height,
// width); convolution weights are [out, in / groups, kh, kw]; dense weights are [out, in] — PyTorch's
// conventions, so weights and fixtures map one to one.

/// An n-dimensional array of Float32 values that can take part in reverse-mode differentiation.
///
/// `Tensor` is a value over reference-counted, immutable storage: copies are cheap and share values.
/// A tensor that requires gradients carries a node of the autodiff graph; `backward()` on a scalar
/// result fills `.grad` of every leaf it depends on.
public struct Tensor: @unchecked Sendable {
    /// The size of each dimension.
    public let shape: [Int]
    let storage: Storage
    var node: GradNode?

    init(shape: [Int], storage: Storage, node: GradNode? = nil) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    // MARK: Creation

    /// A tensor holding `scalars` in row-major order.
    /// - Throws: `TensorError.shapeMismatch` when `scalars.count` is not the product of `shape`.
    public init(shape: [Int], scalars: [Float]) throws {
        try Tensor.validate(shape, op: "Tensor(shape:scalars:)")
        let n = shape.reduce(1, *)
        guard scalars.count == n else {
            throw TensorError.shapeMismatch(op: "Tensor(shape:scalars:)", message: "shape \(describe(shape)) holds \(n) elements, got \(scalars.count) scalars")
        }
        let s = Storage(count: n)
        scalars.withUnsafeBufferPointer { s.plain.update(from: $0.baseAddress!, count: n) }
        self.init(shape: shape, storage: s)
    }

    /// A scalar (rank-0) tensor.
    public init(_ value: Float) {
        let s = Storage(count: 1)
        s.plain[0] = value
        self.init(shape: [], storage: s)
    }

    /// A tensor of `shape` whose elements are written by `fill` into a plain row-major buffer.
    static func make(_ shape: [Int], _ fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> Tensor {
        let n = shape.reduce(1, *)
        let s = Storage(count: n)
        try fill(UnsafeMutableBufferPointer(start: s.plain, count: n))
        return Tensor(shape: shape, storage: s)
    }

    /// A tensor with every element equal to `value`.
    public static func full(_ shape: [Int], _ value: Float) throws -> Tensor {
        try validate(shape, op: "Tensor.full")
        return make(shape) { $0.initialize(repeating: value) }
    }

    public static func zeros(_ shape: [Int]) throws -> Tensor { try full(shape, 0) }
    public static func ones(_ shape: [Int]) throws -> Tensor { try full(shape, 1) }

    /// Normal samples with the given mean and standard deviation, drawn from `generator`.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    generator: inout SeededGenerator) throws -> Tensor {
        try validate(shape, op: "Tensor.randomNormal")
        return make(shape) { b in for i in b.indices { b[i] = mean + standardDeviation * generator.nextNormal() } }
    }

    /// Uniform samples in [low, high), drawn from `generator`.
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     generator: inout SeededGenerator) throws -> Tensor {
        try validate(shape, op: "Tensor.randomUniform")
        return make(shape) { b in for i in b.indices { b[i] = low + (high - low) * generator.nextUnitFloat() } }
    }

    /// He-normal initialisation (He et al. 2015): N(0, 2 / fan). `fan` is fan-in by default; torchvision's
    /// ResNets use fan-out (`out_channels × kh × kw`).
    public static func heNormal(_ shape: [Int], fan: Int? = nil, generator: inout SeededGenerator) throws -> Tensor {
        guard shape.count >= 2 else {
            throw TensorError.invalidArgument(op: "Tensor.heNormal", message: "needs a weight shape of rank >= 2, got \(describe(shape))")
        }
        let fanIn = shape.dropFirst().reduce(1, *)
        let f = fan ?? fanIn
        guard f > 0 else { throw TensorError.invalidArgument(op: "Tensor.heNormal", message: "fan must be positive, got \(f)") }
        return try randomNormal(shape, standardDeviation: (2 / Float(f)).squareRoot(), generator: &generator)
    }

    static func validate(_ shape: [Int], op: String) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: op, message: "dimensions must not be negative, got \(describe(shape))")
        }
    }

    // MARK: Reading

    /// All elements in row-major order (converted from a blocked layout if needed).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.plain, count: count)) }

    /// The single element of a one-element tensor.
    public func item() throws -> Float {
        guard count == 1 else { throw TensorError.shapeMismatch(op: "item", message: "needs exactly one element, shape is \(describe(shape))") }
        return storage.plain[0]
    }

    /// The element at a full index, e.g. `t[0, 2, 1, 1]`.
    public subscript(_ index: Int...) -> Float {
        precondition(index.count == rank, "Tensor subscript: \(index.count) indices for shape \(describe(shape))")
        var offset = 0
        for (i, (k, n)) in zip(index, shape).enumerated() {
            precondition(k >= 0 && k < n, "Tensor subscript: index \(k) out of range 0..<\(n) on axis \(i)")
            offset = offset * n + k
        }
        return storage.plain[offset]
    }

    /// Read-only access to the row-major values without copying.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.plain, count: count))
    }

    /// Writes the row-major values in place; every copy of this tensor sees the change. For optimizer steps
    /// and buffers such as running statistics — never on a tensor the autodiff graph still needs.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        let p = storage.plain
        defer { storage.plainDidChange() }
        return try body(UnsafeMutableBufferPointer(start: p, count: count))
    }

    /// Overwrites this tensor's values (in place, seen by every copy) with those of `other`.
    public func assign(_ other: Tensor) throws {
        guard other.shape == shape else {
            throw TensorError.shapeMismatch(op: "assign", message: "cannot assign \(describe(other.shape)) to \(describe(shape))")
        }
        let src = other.storage.plain
        withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: src, count: count) }
    }

    /// Identifies these values: it changes whenever they are written in place (optimizer steps, `assign`,
    /// running statistics), so a cache of something computed from a tensor can tell when it is stale.
    public var revision: Revision { Revision(storage: ObjectIdentifier(storage), version: storage.version) }

    public struct Revision: Hashable, Sendable {
        let storage: ObjectIdentifier
        let version: UInt64

        /// Identifies the storage alone, whatever its version: the same for every tensor that shares these values.
        public var storageIdentity: ObjectIdentifier { storage }
    }

    /// A deep copy with its own storage (and no autodiff history).
    public func copy() -> Tensor {
        let src = storage.plain
        return Tensor.make(shape) { $0.baseAddress!.update(from: src, count: count) }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(describe(shape)), [\(shown)\(count > 8 ? ", …" : "")])"
    }
}
