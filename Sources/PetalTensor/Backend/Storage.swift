// Tensor storage that may hold its values in several physical layouts at once: plain row-major (what
// callers read) and oneDNN's blocked layouts (what convolutions want, e.g. nChw16c). Values are
// immutable once written, so every layout held is a faithful copy; converting happens lazily, once. The copies are
// filled under a lock, so two threads running one model (reading the same weights) are safe.
import CDNNL
import Foundation

final class Storage: @unchecked Sendable {
    let count: Int
    /// Plain row-major values, when materialised; allocated 64-byte aligned for oneDNN.
    private var plainData: UnsafeMutablePointer<Float>?
    /// Blocked copies (at most a few: an activation is usually wanted in one layout only).
    private var blocked: [Memory] = []
    /// Set when the plain values live in a oneDNN memory's buffer rather than in one allocated here.
    private var plainOwner: Memory?
    /// Set when a blocked copy was written in place: the plain buffer is kept (another thread may still hold its
    /// address from `plain`) but holds old values until the next `plain` refills it.
    private var plainIsStale = false
    /// Counts in-place writes, so that values derived from these (folded inference weights) know when to redo.
    var version: UInt64 { lock.withLock { _version } }
    private var _version: UInt64 = 0
    /// Guards the copies: filling one is a mutation even when the values do not change.
    private let lock = NSLock()

    /// Uninitialised plain storage of `count` floats.
    init(count: Int) {
        self.count = count
        plainData = Storage.allocate(count)
    }

    /// Storage whose only copy is a oneDNN memory (typically a primitive's output, in the layout it chose).
    init(memory: Memory, count: Int) {
        self.count = count
        if memory.desc.isPlain {
            plainData = memory.floats  // adopt the primitive's buffer; `plainOwner` keeps it alive
            plainOwner = memory
        } else {
            blocked = [memory]
        }
    }

    deinit {
        if plainOwner == nil, let p = plainData { BufferPool.shared.release(UnsafeMutableRawPointer(p), byteCount: count * 4) }
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        BufferPool.shared.allocate(byteCount: count * 4).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// The plain row-major values (reordered from a blocked copy the first time they are asked for).
    var plain: UnsafeMutablePointer<Float> { lock.withLock { plainLocked } }

    private var plainLocked: UnsafeMutablePointer<Float> {
        if let p = plainData, !plainIsStale { return p }
        let source = blocked.first { $0.desc.isConvertibleFloat32 } ?? blocked[0]
        let p = plainData ?? Storage.allocate(count)
        let view = Memory(desc: .plain(source.desc.dims), borrowing: UnsafeMutableRawPointer(p), owner: self)
        reorder(source, into: view)
        (plainData, plainIsStale) = (p, false)
        return p
    }

    /// Whether the values already exist in row-major order (reading them costs nothing).
    var isPlain: Bool { lock.withLock { plainData != nil && !plainIsStale } }

    /// The values in the layout `desc` describes, converting (and remembering the result) when needed.
    func memory(_ desc: MemoryDesc) -> Memory { lock.withLock { memoryLocked(desc) } }

    private func memoryLocked(_ desc: MemoryDesc) -> Memory {
        if let hit = blocked.first(where: { $0.desc == desc }) { return hit }
        if desc.isPlain { return Memory(desc: desc, borrowing: UnsafeMutableRawPointer(plainLocked), owner: self) }
        // Convert from a full-precision copy: a bf16 copy made for a convolution must not be the source of an f32 one.
        // oneDNN converts into Winograd's pre-transformed weight format only from plain values.
        let source = blocked.first(where: { desc.raw.format_kind == dnnl_blocked && $0.desc.dims == desc.dims && $0.desc.isConvertibleFloat32 })
            ?? onlyReducedPrecisionCopy.flatMap { desc.raw.format_kind == dnnl_blocked ? $0 : nil }
            ?? Memory(desc: .plain(desc.dims), borrowing: UnsafeMutableRawPointer(plainLocked), owner: self)
        let converted = reorder(source, to: desc)
        if blocked.count >= 2 { blocked.removeLast() }
        blocked.append(converted)
        return converted
    }

    /// The cheapest layout to read for a tensor of `dims`: a blocked copy when one exists, else plain.
    func preferredMemory(dims: [Int]) -> Memory {
        lock.withLock {
            if let b = blocked.first(where: { $0.desc.dims == dims && $0.desc.isConvertibleFloat32 }) { return b }
            if let only = onlyReducedPrecisionCopy, only.desc.dims == dims { return memoryLocked(only.desc.float32) }
            return memoryLocked(.plain(dims))
        }
    }

    /// The values in bf16 when that is the only copy (so they are exact), else nil.
    func reducedPrecisionMemory(dims: [Int]) -> Memory? {
        lock.withLock { onlyReducedPrecisionCopy.flatMap { $0.desc.dims == dims ? $0 : nil } }
    }

    /// A bf16 copy that is the only copy (a bf16 inference convolution's output): then it holds the values
    /// exactly, and fp32 copies are made from it. Otherwise a bf16 copy is a rounding of the fp32 values.
    private var onlyReducedPrecisionCopy: Memory? {
        guard plainData == nil || plainIsStale, !blocked.contains(where: { $0.desc.isFloat32 }) else { return nil }
        return blocked.first { $0.desc.raw.format_kind == dnnl_blocked }
    }

    /// The first full-precision blocked copy, when there is one (the layout a primitive produced).
    var layoutMemory: Memory? { lock.withLock { blocked.first { $0.desc.isConvertibleFloat32 } } }

    /// After `m` (one of this storage's copies, from `memory(_:)`) was written in place: every other copy is stale.
    func keepOnly(_ m: Memory) {
        lock.lock()
        defer { lock.unlock() }
        _version &+= 1
        if m.desc.isPlain && blocked.allSatisfy({ $0 !== m }) {
            blocked.removeAll()  // `m` was a view of the plain buffer
            plainIsStale = false
            return
        }
        blocked = [m]
        // The plain buffer is not returned to the pool: a thread that read `plain` before this write may still use it.
        plainIsStale = plainData != nil
    }

    /// Call after writing into `plain` in place (optimizer steps): blocked copies are stale now.
    func plainDidChange() {
        lock.withLock {
            _version &+= 1
            blocked.removeAll()
        }
    }
}
