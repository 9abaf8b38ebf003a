// Requests that arrive together share one forward pass: the first waits up to `maxWait` for others (or until
// `maxBatch` are waiting), the batch runs on one compute thread, and each request gets its own row back. While a
// batch computes, new requests gather for the next one, so batches grow with the load by themselves.
import Foundation
import PetalNN

/// Predicts class probabilities for single images, batching concurrent calls.
/// A model handed to the compute queue, which alone runs it (one forward pass at a time).
final class ServedModel: @unchecked Sendable {
    let model: Module
    init(_ model: Module) {
        model.eval()
        self.model = model
    }
}

actor BatchingPredictor {
    private let held: ServedModel
    private let maxBatch: Int, maxWait: Duration
    private let compute = DispatchQueue(label: "petal.serve.compute")
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

    /// The class probabilities of one prepared image [1, C, H, W].
    func predict(_ input: Tensor) async throws -> [Float] {
        try await withCheckedThrowingContinuation { reply in
            pending.append((input, reply))
            if pending.count >= maxBatch { startBatch() } else if timer == nil { startTimer() }
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
        let (held, onBatch) = (self.held, self.onBatch)
        compute.async {
            let start = ContinuousClock.now
            do {
                let x = try Tensor(shape: [batch.count] + batch[0].input.shape.dropFirst(), scalars: batch.flatMap(\.input.scalars))
                let p = try withoutGradients { try held.model(x).softmax() }
                let classes = p.shape[1], values = p.scalars
                for (i, request) in batch.enumerated() { request.reply.resume(returning: Array(values[(i * classes)..<((i + 1) * classes)])) }
            } catch {
                for request in batch { request.reply.resume(throwing: error) }
            }
            onBatch(batch.count, ContinuousClock.now - start)
            Task { await self.finished(batch.count) }
        }
    }

    private func finished(_ count: Int) {
        (busy, forwardPasses, imagesPredicted) = (false, forwardPasses + 1, imagesPredicted + count)
        if pending.count >= maxBatch { startBatch() } else if !pending.isEmpty && timer == nil { startBatch() }
    }
}
