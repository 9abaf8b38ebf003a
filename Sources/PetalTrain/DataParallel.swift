// Data-parallel training (PyTorch's DistributedDataParallel, Horovod): every rank holds the whole model, computes
// gradients on its part of each global batch, and the parts' gradients are combined into the global batch's before
// each optimizer step, so every rank applies the same update and the weights stay identical.
// A rank's loss is a mean over its part, so its gradient is weighted by the part's loss normaliser (its image
// count) before the sum, and the sum is divided by the global normaliser: the result is the gradient of the mean
// over the global batch, whatever the split, even when the parts are unequal.
import Foundation

/// The trainer's link to the other ranks of a data-parallel run; pass it to ``Trainer/fit(_:train:validation:epochs:optimizer:loss:callbacks:initialEpoch:nonFiniteLoss:dataParallel:)``.
public final class DataParallel {
    /// The ranks training together.
    public let communicator: Communicator
    /// Gradient values per reduction (DDP's 25 MB buckets by default); buckets go out together and overlap.
    public let bucketSize: Int
    private var flat: [Float] = []

    /// - Parameters:
    ///   - communicator: the ranks (PetalMPI's `MPICommunicator.world()` under `mpirun`).
    ///   - bucketMegabytes: size of each gradient reduction.
    public init(_ communicator: Communicator, bucketMegabytes: Int = 25) throws {
        guard bucketMegabytes >= 1 else { throw TrainingError.invalidSetting("bucket size must be at least 1 MB, got \(bucketMegabytes)") }
        self.communicator = communicator
        bucketSize = bucketMegabytes << 18
    }

    /// This rank's index, 0 ..< ``size``.
    public var rank: Int { communicator.rank }
    /// The number of ranks.
    public var size: Int { communicator.size }

    /// Copies rank 0's parameters and buffers into every rank's model (identical starting weights whatever the seed).
    public func broadcastState(of model: Module) throws {
        try checkSameSizes(model.stateDict.map(\.tensor), what: "model")
        for t in model.stateDict.map(\.tensor) { try broadcast(t) }
    }

    /// Copies rank 0's buffers (batch-norm running statistics, which each rank updates from its own images) into
    /// every rank's model, as DDP does, so evaluation and checkpoints see one model.
    public func broadcastBuffers(of model: Module) throws {
        for t in model.namedBuffers.map(\.tensor) { try broadcast(t) }
    }

    /// Replaces every parameter's gradient by the global batch's: Σ over ranks of normaliser·gradient, divided by
    /// the global normaliser. Parameters without a gradient on every rank keep none.
    /// - Parameter normaliser: this rank's loss normaliser (``Loss/normaliser(labels:)``; 0 for an empty part).
    public func combineGradients(_ parameters: [Tensor], normaliser: Double) throws {
        // Layout: every parameter's values (plain order), one "has a gradient" flag per parameter, the normaliser.
        let total = parameters.reduce(0) { $0 + $1.count } + parameters.count + 1
        if flat.count != total { flat = [Float](repeating: 0, count: total) }
        let weight = Float(normaliser)
        try flat.withUnsafeMutableBufferPointer { buffer in
            var offset = 0
            for p in parameters {
                let slot = UnsafeMutableBufferPointer(rebasing: buffer[offset..<(offset + p.count)])
                if let g = p.grad {
                    g.withUnsafeBufferPointer { src in for i in 0..<src.count { slot[i] = src[i] * weight } }
                } else {
                    slot.update(repeating: 0)
                }
                offset += p.count
            }
            for (i, p) in parameters.enumerated() { buffer[offset + i] = p.grad == nil ? 0 : 1 }
            buffer[total - 1] = weight
            var buckets: [UnsafeMutableBufferPointer<Float>] = []
            var b = 0
            while b < total {
                buckets.append(UnsafeMutableBufferPointer(rebasing: buffer[b..<min(b + bucketSize, total)]))
                b += bucketSize
            }
            try communicator.allReduceSum(buckets: buckets)
        }
        let global = flat[total - 1]
        guard global > 0 else { throw TrainingError.state("the global batch is empty on every rank") }
        var offset = 0
        for (i, p) in parameters.enumerated() {
            defer { offset += p.count }
            guard flat[total - 1 - parameters.count + i] > 0 else { p.zeroGradient(); continue }
            let scale = 1 / global
            let combined = try Tensor(shape: p.shape, scalars: flat[offset..<(offset + p.count)].map { $0 * scale })
            if let g = p.grad {
                // Written into the gradient's own layout (oneDNN's blocked one for convolutions), which the optimizer
                // then updates the weights in, so no weight is converted to plain and back.
                try Tensor.updateInPlace([g], from: [g, combined]) { out, input in _ = out[0].update(fromContentsOf: input[1]) }
            } else {
                try p.setGradient(combined)
            }
        }
    }

    /// The sums over ranks of `values` (losses, counts, flags).
    public func sum(_ values: [Double]) throws -> [Double] { try communicator.allReduceSum(values) }

    /// The evaluation of the whole validation set, from every rank's evaluation of its contiguous part (see
    /// `DataLoader.sharded(rank:of:)`): probabilities and labels in rank order, the loss averaged over all samples.
    public func gather(_ evaluation: Evaluation) throws -> Evaluation {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (evaluation.loss.isNaN ? 0 : evaluation.loss) * Double(evaluation.count)) { bytes += $0 }
        withUnsafeBytes(of: Int64(evaluation.count)) { bytes += $0 }
        evaluation.probabilities.withUnsafeBytes { bytes += $0 }
        for l in evaluation.labels { withUnsafeBytes(of: Int64(l)) { bytes += $0 } }
        var lossSum = 0.0, probabilities: [Float] = [], labels: [Int] = []
        for part in try communicator.allGather(bytes) {
            part.withUnsafeBytes { raw in
                lossSum += raw.loadUnaligned(fromByteOffset: 0, as: Double.self)
                let n = Int(raw.loadUnaligned(fromByteOffset: 8, as: Int64.self)), c = evaluation.classCount
                probabilities += (0..<(n * c)).map { raw.loadUnaligned(fromByteOffset: 16 + 4 * $0, as: Float.self) }
                labels += (0..<n).map { Int(raw.loadUnaligned(fromByteOffset: 16 + 4 * n * c + 8 * $0, as: Int64.self)) }
            }
        }
        return Evaluation(loss: labels.isEmpty ? .nan : lossSum / Double(labels.count), probabilities: probabilities,
                          labels: labels, classCount: evaluation.classCount)
    }

    /// Fails on every rank when the ranks disagree about `value` (batches per epoch, tensor shapes).
    func checkAgreement(_ value: Int, what: String) throws {
        let sums = try sum([Double(value), Double(value) * Double(value)])
        let n = Double(size)
        // Equal values exactly when the variance Σx²/n − (Σx/n)² is zero.
        guard sums[1] / n - (sums[0] / n) * (sums[0] / n) == 0 else {
            throw CommunicationError.mismatch(rank: rank, reason: "the ranks disagree about \(what) (this rank: \(value)); every rank must run the same model on the same data set")
        }
    }

    private func checkSameSizes(_ tensors: [Tensor], what: String) throws {
        try checkAgreement(tensors.count, what: "the number of \(what) tensors")
        try checkAgreement(tensors.reduce(0) { $0 + $1.count }, what: "the size of the \(what)")
    }

    private func broadcast(_ t: Tensor) throws {
        try t.withUnsafeMutableBufferPointer { try communicator.broadcast(UnsafeMutableRawBufferPointer($0), root: 0) }
    }
}
