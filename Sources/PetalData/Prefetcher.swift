// The loader's background thread: it makes batches 0, 1, 2, … of an epoch in order into a bounded queue while
// the training thread consumes them. Batch i is a function of (seed, epoch, i) only, so prefetching changes when
// a batch is made, never what it holds. The thread only decodes, warps and fills Float buffers (no oneDNN call),
// and stops early when the consumer abandons the epoch.
import Foundation

/// A producer thread and a bounded queue of results for one epoch.
final class Prefetcher: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Result<Batch, Error>] = []
    private var finished = false
    private var cancelled = false
    private let capacity: Int

    /// Starts the thread at once.
    /// - Parameters:
    ///   - count: batches in the epoch.
    ///   - capacity: batches made ahead at most (≥ 1).
    ///   - make: makes batch `i`; a thrown error ends the epoch after it.
    init(count: Int, capacity: Int, make: @escaping @Sendable (Int) throws -> Batch) {
        self.capacity = max(1, capacity)
        let thread = Thread { [self] in self.produce(count: count, make: make) }
        thread.name = "petal-data-loader"
        thread.start()
    }

    private func produce(count: Int, make: (Int) throws -> Batch) {
        for i in 0..<count {
            condition.lock()
            while queue.count >= capacity && !cancelled { condition.wait() }
            let stop = cancelled
            condition.unlock()
            if stop { break }
            let result = Result { try make(i) }
            condition.lock()
            queue.append(result)
            condition.broadcast()
            condition.unlock()
            if case .failure = result { break }
        }
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, waiting for it if needed; `nil` once the epoch is over.
    func next() -> Result<Batch, Error>? {
        condition.lock(); defer { condition.unlock() }
        while queue.isEmpty && !finished { condition.wait() }
        if queue.isEmpty { return nil }
        let result = queue.removeFirst()
        condition.broadcast()
        return result
    }

    /// Tells the thread to stop after the batch it is making.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the thread has ended (tests use it to leave nothing running).
    func waitUntilFinished() {
        condition.lock(); defer { condition.unlock() }
        while !finished { condition.wait() }
    }
}

/// Owned by an epoch's iterator: when the iterator is dropped (an epoch abandoned early), the thread stops.
final class PrefetchHandle: @unchecked Sendable {
    let prefetcher: Prefetcher
    init(_ prefetcher: Prefetcher) { self.prefetcher = prefetcher }
    deinit { prefetcher.cancel() }
}
