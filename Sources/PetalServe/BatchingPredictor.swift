#if Serve
// Requests that arrive together share one forward pass: when other requests are in the server, a request waits up to
// `maxWait` for more (or until `maxBatch` are waiting); a lone request goes at once. The batch runs on one compute
// thread and each request gets its own row back. While a batch computes, new requests gather for the next one, so
// batches grow with the load by themselves and a lone client never waits.
// Batches are padded to a power of two (or `maxBatch`): each new batch size costs oneDNN primitives to create and
// memory to keep, so a handful of sizes, made once at start (`warmUp`), keeps both latency and memory flat.
import Foundation
import PetalNN

/// Predicts class probabilities for single images, batching concurrent calls.
/// A model handed to the compute queue, which alone runs it (one forward pass at a time).
final class ServedModel: @unchecked Sendable {
    /// The model's fused inference, made once (it traces the model on the first pass of each input shape).
    let model: FusedInference
    init(_ model: Module) {
        model.eval()
        self.model = model.fusedForInference()
    }
}

actor BatchingPredictor {
    private let held: ServedModel
    private let maxBatch: Int, maxWait: Duration
    private let compute = ComputeThread(name: "petal.serve.compute")
    private var pending: [(input: Tensor, reply: CheckedContinuation<[Float], Error>)] = []
    private var timer: Task<Void, Never>?
    private var busy = false
    /// Forward passes run, and the images they held.
    private(set) var forwardPasses = 0, imagesPredicted = 0
    /// Called after each forward pass with its batch size and duration.
    private let onBatch: @Sendable (Int, Duration) -> Void

    init(model: ServedModel, maxBatch: Int, maxWait: Duration, onBatch: @escaping @Sendable (Int, Duration) -> Void = { _, _ in }) {
        (held, self.maxBatch, self.maxWait, self.onBatch) = (model, maxBatch, maxWait, onBatch)
    }

    /// The batch sizes forward passes run at: powers of two below `maxBatch`, and `maxBatch`.
    nonisolated var batchSizes: [Int] { Array(sequence(first: 1) { $0 * 2 }.prefix { $0 < maxBatch }) + [maxBatch] }

    /// Runs one forward pass of every batch size on zeros of `inputShape` ([C, H, W]), so that requests never wait
    /// for primitives to be made.
    nonisolated func warmUp(inputShape: [Int]) async throws {
        let (held, sizes) = (self.held, batchSizes)
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            compute.run {
                do {
                    for n in sizes { _ = try withoutGradients { try held.model(Tensor.zeros([n] + inputShape)) } }
                    done.resume()
                } catch { done.resume(throwing: error) }
            }
        }
    }

    /// Ends the compute thread after the passes under way.
    nonisolated func stop() { compute.stop() }

    /// The class probabilities of one prepared image [1, C, H, W].
    /// - Parameter othersInServer: other requests received and not yet answered.
    func predict(_ input: Tensor, othersInServer: Int) async throws -> [Float] {
        try await withCheckedThrowingContinuation { reply in
            pending.append((input, reply))
            if pending.count >= maxBatch || othersInServer == 0 || maxWait == .zero { startBatch() } else if timer == nil { startTimer() }
        }
    }

    private func startTimer() {
        let wait = maxWait
        timer = Task { [weak self] in
            try? await Task.sleep(for: wait)
            await self?.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        if !pending.isEmpty { startBatch() }
    }

    private func startBatch() {
        guard !busy, !pending.isEmpty else { return }  // the running batch's end starts the next one
        timer?.cancel()
        timer = nil
        busy = true
        let batch = Array(pending.prefix(maxBatch))
        pending.removeFirst(batch.count)
        let (held, onBatch, sizes) = (self.held, self.onBatch, batchSizes)
        compute.run {
            let start = ContinuousClock.now
            let outcome = Result { () throws -> [[Float]] in
                let size = sizes.first { $0 >= batch.count } ?? batch.count
                let item = batch[0].input.count
                var inputs = batch.flatMap(\.input.scalars)
                inputs += [Float](repeating: 0, count: (size - batch.count) * item)  // padding rows, computed and dropped
                let x = try Tensor(shape: [size] + batch[0].input.shape.dropFirst(), scalars: inputs)
                let p = try withoutGradients { try held.model(x).softmax() }
                let classes = p.shape[1], values = p.scalars
                return batch.indices.map { Array(values[($0 * classes)..<(($0 + 1) * classes)]) }
            }
            onBatch(batch.count, ContinuousClock.now - start)
            Task {
                // Counted before any caller hears back, so the statistics and metrics never lag the replies.
                self.finished(batch.count)
                switch outcome {
                case .success(let rows): for (request, row) in zip(batch, rows) { request.reply.resume(returning: row) }
                case .failure(let error): for request in batch { request.reply.resume(throwing: error) }
                }
            }
        }
    }

    private func finished(_ count: Int) {
        (busy, forwardPasses, imagesPredicted) = (false, forwardPasses + 1, imagesPredicted + count)
        if pending.count >= maxBatch { startBatch() } else if !pending.isEmpty && timer == nil { startBatch() }
    }
}
#endif
