// A size-keyed pool of 64-byte-aligned buffers. A training step allocates the same activation sizes on
// every step; handing freed buffers back out avoids the page faults and zeroing that fresh large
// allocations (mmap'd by malloc) cost — comparable to a small convolution's run time.
import Foundation

/// Freed buffers kept for reuse, at most `cacheLimit` bytes of them (1 GiB for the shared pool); beyond that, freed
/// buffers go back to the allocator. `Device.releaseCaches()` empties it.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool(cacheLimit: 1 << 30)

    /// Buffers smaller than this come straight from the allocator (cheap, and not worth tracking).
    private let minimumPooled = 64 << 10
    private let cacheLimit: Int
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cachedBytes = 0
    private let lock = NSLock()

    init(cacheLimit: Int) { self.cacheLimit = cacheLimit }

    /// Rounds sizes up so nearby sizes share buckets.
    private func bucket(_ bytes: Int) -> Int { (max(bytes, 64) + 4095) & ~4095 }

    func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        let size = bucket(byteCount)
        let buffer = size >= minimumPooled ? lock.withLock { () -> UnsafeMutableRawPointer? in
            guard let p = free[size]?.popLast() else { return nil }
            cachedBytes -= size
            return p
        } : nil
        let p = buffer ?? UnsafeMutableRawPointer.allocate(byteCount: size + BufferPool.guardBytes, alignment: 64)
        #if DEBUG
        BufferPool.poison(p, byteCount: size)
        BufferPool.fillGuard(p, from: byteCount, to: size + BufferPool.guardBytes)
        #endif
        return p
    }

    /// Debug builds (the tests) hand out buffers full of NaN: code that reads a buffer before writing it then gives
    /// NaN every time, instead of whatever the buffer's last user left, which differs from run to run.
    private static let poisonPattern: UInt32 = 0x7FC0_DEAD

    private static func poison(_ buffer: UnsafeMutableRawPointer, byteCount: Int) {
        buffer.bindMemory(to: UInt32.self, capacity: byteCount / 4).initialize(repeating: poisonPattern, count: byteCount / 4)
    }

    /// Debug builds keep a guard after every buffer's last byte, up to the bucket's end plus these bytes, and check it
    /// when the buffer comes back: a kernel that writes past its output is caught where it happens, not when the
    /// bytes it overwrote (another buffer's, in another layout of the heap) are read.
    #if DEBUG
    static let guardBytes = 64
    #else
    static let guardBytes = 0
    #endif
    private static let guardByte: UInt8 = 0xA5

    private static func fillGuard(_ buffer: UnsafeMutableRawPointer, from start: Int, to end: Int) {
        memset(buffer + start, Int32(guardByte), end - start)
    }

    /// The expected guard, as long as the longest one (a bucket's rounding plus the guard bytes).
    private static let guardPattern = [UInt8](repeating: guardByte, count: 4096 + 64)

    private static func checkGuard(_ buffer: UnsafeMutableRawPointer, from start: Int, to end: Int) {
        let intact = guardPattern.withUnsafeBytes { memcmp(buffer + start, $0.baseAddress!, end - start) == 0 }
        precondition(intact, "a buffer of \(start) bytes was written past its end (its guard bytes changed)")
    }

    /// Bytes held for reuse now.
    var cachedByteCount: Int { lock.withLock { cachedBytes } }

    /// Gives every kept buffer back to the allocator.
    func removeAll() {
        let kept = lock.withLock { () -> [UnsafeMutableRawPointer] in
            defer { free.removeAll(); cachedBytes = 0 }
            return free.values.flatMap { $0 }
        }
        for p in kept { p.deallocate() }
    }

    func release(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = bucket(byteCount)
        #if DEBUG
        BufferPool.checkGuard(pointer, from: byteCount, to: size + BufferPool.guardBytes)
        #endif
        let kept = size >= minimumPooled && lock.withLock { () -> Bool in
            guard cachedBytes + size <= cacheLimit else { return false }
            free[size, default: []].append(pointer)
            cachedBytes += size
            return true
        }
        if !kept { pointer.deallocate() }
    }
}
