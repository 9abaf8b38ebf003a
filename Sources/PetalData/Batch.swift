// What a data loader hands the trainer: one batch of images as an NCHW tensor with its labels.

/// One batch: images [N, C, H, W] (Float, normalised), integer labels and one-hot targets [N, classes].
public struct Batch: @unchecked Sendable {
    public let images: Tensor
    public let labels: [Int]
    public let oneHot: Tensor

    public init(images: Tensor, labels: [Int], classCount: Int) throws {
        guard images.rank == 4, images.shape[0] == labels.count else {
            throw TensorError.shapeMismatch(op: "Batch", message: "images \(images.shape) must be [N, C, H, W] with N = \(labels.count) labels")
        }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
            throw TensorError.invalidArgument(op: "Batch", message: "label \(bad) is outside 0..<\(classCount)")
        }
        self.images = images
        self.labels = labels
        var hot = [Float](repeating: 0, count: labels.count * classCount)
        for (i, l) in labels.enumerated() { hot[i * classCount + l] = 1 }
        oneHot = try Tensor(shape: [labels.count, classCount], scalars: hot)
    }

    public var count: Int { labels.count }
}

/// Anything that yields the batches of an epoch (a `DataLoader`, or an in-memory set in tests).
public protocol BatchSource: AnyObject {
    /// Number of classes (width of the one-hot targets).
    var classCount: Int { get }
    /// Batches per epoch (for progress bars).
    var batchesPerEpoch: Int { get }
    /// The batches of epoch `epoch` (0-based); shuffling and augmentation depend on the epoch and the seed only.
    func batches(epoch: Int) throws -> AnyIterator<Batch>
}

/// A batch source whose epochs a data-parallel run can split between ranks, and whose labels a run can count.
public protocol ShardableBatchSource: BatchSource {
    /// Samples in one epoch, before batching.
    var sampleCount: Int { get }
    /// Samples per batch (the global batch of a data-parallel run).
    var batchSize: Int { get }
    /// Whether a last, partial batch is left out.
    var dropsLast: Bool { get }
    /// Samples of each class, in label order.
    var classCounts: [Int] { get }
    /// This source for rank `rank` of `ranks`: the same batches, each cut to the rank's part.
    func shard(rank: Int, of ranks: Int) throws -> any BatchSource
}

extension DataLoader: ShardableBatchSource {
    public var sampleCount: Int { samples.count }
    public var batchSize: Int { config.batchSize }
    public func shard(rank: Int, of ranks: Int) throws -> any BatchSource { try sharded(rank: rank, of: ranks) }
}

