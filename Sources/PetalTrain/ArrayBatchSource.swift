// Batches from tensors already in memory: for tests, small experiments and data prepared elsewhere.

/// Serves an in-memory NCHW tensor and its labels in batches, shuffled each epoch from a seed.
public final class ArrayBatchSource: BatchSource {
    /// Every sample, [N, C, H, W].
    public let images: Tensor
    /// The class of each sample.
    public let labels: [Int]
    /// Number of classes.
    public let classCount: Int
    /// Samples per batch.
    public let batchSize: Int
    /// Seeds each epoch's shuffle; nil keeps the order.
    public let shuffleSeed: UInt64?
    /// Whether a last, partial batch is left out.
    public let dropLast: Bool
    /// The part of every batch this source yields in data-parallel training (the whole batch by default).
    public let shard: DataShard

    /// - Parameters:
    ///   - shuffleSeed: reorder the samples every epoch from (seed, epoch); nil keeps the order.
    ///   - shard: yield only this rank's part of each batch of `batchSize` (the global batch).
    public init(images: Tensor, labels: [Int], classCount: Int, batchSize: Int, shuffleSeed: UInt64? = nil, dropLast: Bool = false,
                shard: DataShard = .whole) throws {
        guard images.rank == 4, images.shape[0] == labels.count else {
            throw TrainingError.invalidSetting("ArrayBatchSource: images \(images.shape) must be [N, C, H, W] with N = \(labels.count) labels")
        }
        guard batchSize >= 1 else { throw TrainingError.invalidSetting("batch size must be at least 1, got \(batchSize)") }
        if let bad = labels.first(where: { !(0..<classCount).contains($0) }) {
            throw TrainingError.invalidSetting("ArrayBatchSource: label \(bad) is outside 0..<\(classCount)")
        }
        (self.images, self.labels, self.classCount, self.batchSize, self.shuffleSeed, self.dropLast) = (images, labels, classCount, batchSize, shuffleSeed, dropLast)
        self.shard = shard
    }

    /// This source for rank `rank` of `ranks`: the same batches, each cut to the rank's part.
    public func sharded(rank: Int, of ranks: Int) throws -> ArrayBatchSource {
        try ArrayBatchSource(images: images, labels: labels, classCount: classCount, batchSize: batchSize, shuffleSeed: shuffleSeed,
                             dropLast: dropLast, shard: DataShard(rank: rank, of: ranks))
    }

    /// Batches in one epoch.
    public var batchesPerEpoch: Int { dropLast ? labels.count / batchSize : (labels.count + batchSize - 1) / batchSize }

    /// The sample order of `epoch`.
    public func order(epoch: Int) -> [Int] {
        guard let seed = shuffleSeed else { return Array(labels.indices) }
        var g = SeededGenerator(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
        var o = Array(labels.indices)
        for i in stride(from: o.count - 1, to: 0, by: -1) { o.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        return o
    }

    /// The batches of `epoch`, in its (seeded) order.
    public func batches(epoch: Int) throws -> AnyIterator<Batch> {
        let order = order(epoch: epoch)
        let item = images.count / max(labels.count, 1)
        let all = images.scalars
        var start = 0
        let n = batchesPerEpoch
        var produced = 0
        return AnyIterator { [self] in
            guard produced < n else { return nil }
            let global = Array(order[start..<min(start + batchSize, order.count)])
            let idx = Array(global[shard.range(of: global.count)])
            start += batchSize
            produced += 1
            var values = [Float](); values.reserveCapacity(idx.count * item)
            for i in idx { values += all[(i * item)..<((i + 1) * item)] }
            var shape = images.shape
            shape[0] = idx.count
            return try? Batch(images: Tensor(shape: shape, scalars: values), labels: idx.map { labels[$0] }, classCount: classCount)
        }
    }
}

extension ArrayBatchSource: ShardableBatchSource {
    public var sampleCount: Int { labels.count }
    public var dropsLast: Bool { dropLast }
    public var classCounts: [Int] { labels.reduce(into: [Int](repeating: 0, count: classCount)) { $0[$1] += 1 } }
    public func shard(rank: Int, of ranks: Int) throws -> any BatchSource { try sharded(rank: rank, of: ranks) }
}
