// Elementwise in-place updates in whatever layout the data already has. A weight gradient arrives in oneDNN's
// blocked weight layout; updating the weights (and optimizer state) in that same layout saves converting the
// gradient to plain and the weights back to blocked on every step. Padding elements are zero in every operand
// and stay zero under elementwise rules that map zeros to zero (SGD and Adam do).

extension Tensor {
    /// Writes `targets` in place from `sources`, all seen as flat buffers in one physical layout — the layout the
    /// first source already has — so nothing is converted to plain and back. Only elementwise rules belong in
    /// `body`; buffers include any padding of the layout (zeros).
    /// - Throws: `TensorError.shapeMismatch` unless every tensor has the first source's shape.
    public static func updateInPlace(_ targets: [Tensor], from sources: [Tensor],
                                     _ body: (_ targets: [UnsafeMutableBufferPointer<Float>], _ sources: [UnsafeBufferPointer<Float>]) -> Void) throws {
        guard let first = sources.first else { throw TensorError.invalidArgument(op: "updateInPlace", message: "needs at least one source") }
        for t in targets + sources where t.shape != first.shape {
            throw TensorError.shapeMismatch(op: "updateInPlace", message: "shape \(describe(t.shape)) differs from \(describe(first.shape))")
        }
        let desc = first.storage.layoutMemory?.desc ?? .plain(first.shape)
        let out = targets.map { $0.storage.memory(desc) }
        let input = sources.map { $0.storage.memory(desc) }
        body(out.map { UnsafeMutableBufferPointer(start: $0.floats, count: $0.floatCount) },
             input.map { UnsafeBufferPointer(start: $0.floats, count: $0.floatCount) })
        for (t, m) in zip(targets, out) { t.storage.keepOnly(m) }
    }

    /// Read access to the values in the layout they are held in now (padding zeros included), for reductions
    /// whose result does not depend on element order, such as norms.
    public func withUnsafeStoredValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let m = storage.layoutMemory ?? storage.memory(.plain(shape))
        return try body(UnsafeBufferPointer(start: m.floats, count: m.floatCount))
    }
}
