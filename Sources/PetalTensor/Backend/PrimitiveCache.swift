// oneDNN primitives are expensive to create (JIT code generation) and cheap to run: create each one once
// per shape and layout, then reuse it for every later call.
import CDNNL
import Foundation

/// Identifies a primitive: the op, its scalar parameters, and the exact memory layouts involved. Looked up on every
/// op, so it is built without formatting arrays or enums into text, which was a measurable share of a batch-1
/// prediction (docs/DESIGN-CHANGES.md).
struct PrimitiveKey: Hashable, Sendable {
    let text: String
    let numbers: [Int]
    let layouts: [[UInt8]]

    init(_ text: String, numbers: [Int] = [], _ descs: MemoryDesc...) {
        self.text = text
        self.numbers = numbers
        layouts = descs.map { d in withUnsafeBytes(of: d.raw) { Array($0) } }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(text)
        hasher.combine(numbers)
        for layout in layouts { layout.withUnsafeBytes { hasher.combine(bytes: $0) } }
    }
}

/// A thread-safe cache of primitives (or of small plans grouping several primitives for one op), bounded: beyond
/// `limit` entries the least recently used are dropped (a server predicting on many input sizes would otherwise keep
/// a compiled primitive per size for ever). Dropping is safe: whoever still holds a plan keeps it alive.
final class PrimitiveCache: @unchecked Sendable {
    private var entries: [PrimitiveKey: (plan: AnyObject, used: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var _limit: Int
    private let lock = NSLock()

    /// A ResNet-152's training and inference plans at one input size come to a few hundred.
    init(limit: Int = 2048) { _limit = max(limit, 1) }

    var limit: Int {
        get { lock.withLock { _limit } }
        set { lock.withLock { _limit = max(newValue, 1); evict() } }
    }

    func primitive(_ key: PrimitiveKey, make: () throws -> Primitive) throws -> Primitive {
        try plan(key, make: make)
    }

    func plan<T: AnyObject>(_ key: PrimitiveKey, make: () throws -> T) throws -> T {
        if let hit = lock.withLock({ touch(key) }) { return hit as! T }
        let made = try make()
        return lock.withLock {
            if let raced = touch(key) { return raced as! T }
            clock += 1
            entries[key] = (made, clock)
            evict()
            return made
        }
    }

    /// The entry for `key`, marked as used now. Call under `lock`.
    private func touch(_ key: PrimitiveKey) -> AnyObject? {
        guard let entry = entries[key] else { return nil }
        clock += 1
        entries[key] = (entry.plan, clock)
        return entry.plan
    }

    /// Drops the least recently used entries beyond the limit, an eighth of the limit at a time so that a stream of
    /// new shapes does not scan the table on every insertion. Call under `lock`.
    private func evict() {
        guard entries.count > _limit else { return }
        let drop = entries.count - _limit + (_limit >= 8 ? _limit / 8 : 0)
        for key in entries.sorted(by: { $0.value.used < $1.value.used }).prefix(drop).map(\.key) { entries[key] = nil }
    }

    func removeAll() { lock.withLock { entries.removeAll() } }

    var count: Int { lock.withLock { entries.count } }
}
