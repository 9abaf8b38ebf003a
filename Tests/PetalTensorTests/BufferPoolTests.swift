import Testing
@testable import PetalTensor

@Suite struct BufferPoolTests {
    @Test func freedBuffersAreHandedOutAgainAndDebugBuildsFillThemWithNaN() {
        let pool = BufferPool(cacheLimit: 1 << 20)
        let a = pool.allocate(byteCount: 100_000)
        a.storeBytes(of: 1.5 as Float, as: Float.self)
        pool.release(a, byteCount: 100_000)
        let b = pool.allocate(byteCount: 99_000)  // the same 4 KB-rounded size
        #expect(b == a, "a freed buffer of the same size is reused")
        #if DEBUG
        // The tests run debug builds: any code that reads a buffer before writing it sees NaN, every time.
        #expect(b.load(as: Float.self).isNaN, "the last user's values must not show through")
        #expect(b.load(fromByteOffset: 98_996, as: Float.self).isNaN)
        #endif
        let small = pool.allocate(byteCount: 64)  // below the pooled sizes: straight from the allocator
        #if DEBUG
        #expect(small.load(as: Float.self).isNaN)
        #endif
        small.deallocate()
        pool.release(b, byteCount: 99_000)
    }

    #if DEBUG
    /// A kernel writing one byte past its output is caught when the buffer comes back, wherever the heap put it.
    @Test func aWritePastTheEndIsCaughtOnRelease() async {
        await #expect(processExitsWith: .failure) {
            let pool = BufferPool(cacheLimit: 1 << 20)
            let a = pool.allocate(byteCount: 100_000)
            a.storeBytes(of: 7, toByteOffset: 100_000, as: UInt8.self)
            pool.release(a, byteCount: 100_000)
        }
        await #expect(processExitsWith: .success) {
            let pool = BufferPool(cacheLimit: 1 << 20)
            let a = pool.allocate(byteCount: 100_000)
            a.storeBytes(of: 7, toByteOffset: 99_999, as: UInt8.self)
            pool.release(a, byteCount: 100_000)
        }
    }
    #endif
}
