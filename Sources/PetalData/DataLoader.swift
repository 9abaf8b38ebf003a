// The batch loader: a fixed list of (image, label) samples turned into NCHW Float batches with integer labels and
// one-hot targets. The order of an epoch, every augmentation draw and every batch's content are functions of
// (seed, epoch, batch index); decoding and caching only change the speed. Every batch is full (the scan has
// removed unusable files beforehand, unlike the tutorial's generator, which shrinks a batch when it deletes a small
// image) except, when `dropLast` is off, the last one.
// A file that fails to decode after the scan (changed on disk) does not stop a run: it is reported once and
// replaced, in that batch and every later one, by the next readable image of the same class.
import Foundation
import PetalImage

/// One image of a loader: its path relative to the data set root and its label.
public struct Sample: Codable, Sendable, Equatable {
    /// Path relative to the data set root (`"rose/123.jpg"`).
    public let path: String
    /// Index of its class.
    public let label: Int

    /// - Parameters:
    ///   - path: relative to the data set root.
    ///   - label: class index.
    public init(path: String, label: Int) {
        self.path = path
        self.label = label
    }
}

/// Which side of the split a loader serves: training shuffles and augments, validation does neither.
public enum LoaderRole: String, Codable, Sendable {
    /// Shuffled each epoch, augmented by the policy, last partial batch dropped when `dropLast` is set.
    case training
    /// Fixed order, never augmented, every image.
    case validation
}

/// Batches of a list of images, prepared on a background thread; a ``BatchSource`` for the trainer.
public final class DataLoader: BatchSource, @unchecked Sendable {
    /// Training or validation.
    public let role: LoaderRole
    /// The data set root the sample paths are relative to.
    public var root: URL { URL(fileURLWithPath: rootPath, isDirectory: true) }
    /// The root as a POSIX path, which the sample paths are appended to.
    let rootPath: String
    /// Class names in label order.
    public let classNames: [String]
    /// The images, in their fixed (unshuffled) order.
    public let samples: [Sample]
    /// The settings (crop, normalisation, batch size, augmentation, seed, …).
    public let config: DataConfig
    /// Where decoded crops are kept; shared with the other loader of the data set.
    public let cache: ImageCache
    /// The part of every batch this process makes when several train one model (data-parallel training); the
    /// whole batch by default. The batch size stays the global batch: each rank gets its share of each global batch.
    public let shard: DataShard
    /// Receives one line per problem met while loading (a file that no longer decodes); prints to stderr by default.
    /// It is called on the loader's background thread; set it before iterating.
    public var onWarning: @Sendable (String) -> Void = PetalLog.sink

    private let preparer: ImagePreparer
    private let lock = NSLock()
    private var failed: [Int: String] = [:]
    private var lastFailure: DataError?

    /// - Parameters:
    ///   - samples: the images and labels (see ``DataPipeline`` for making them from a folder).
    ///   - root: the folder sample paths are relative to.
    ///   - classNames: class names in label order.
    ///   - config: settings; the training role uses its shuffle, augmentation and drop-last settings.
    ///   - role: `.training` or `.validation`.
    ///   - cache: a cache to share; by default a new one of `config.cacheBudgetMB`.
    /// - Throws: ``DataError/invalidConfig(parameter:reason:)`` for bad settings or labels.
    ///   - shard: this rank's part of each batch, for data-parallel training (see ``DataShard``).
    public init(samples: [Sample], root: URL, classNames: [String], config: DataConfig, role: LoaderRole,
                cache: ImageCache? = nil, shard: DataShard = .whole) throws {
        try config.validate()
        if let bad = samples.first(where: { $0.label < 0 || $0.label >= classNames.count }) {
            throw DataError.invalidConfig(parameter: "samples", reason: "\(bad.path) has label \(bad.label), outside 0..<\(classNames.count)")
        }
        self.samples = samples
        self.rootPath = root.path
        self.classNames = classNames
        self.config = config
        self.role = role
        self.shard = shard
        self.cache = cache ?? ImageCache(budgetBytes: config.cacheBudgetMB << 20)
        preparer = ImagePreparer(config: config)
    }

    // MARK: Shape of an epoch

    /// Number of classes (width of the one-hot targets).
    public var classCount: Int { classNames.count }
    /// Images per class.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for s in samples { counts[s.label] += 1 }
        return counts
    }
    /// Inverse-frequency weights for the loss (see ``ScanReport/balancedClassWeights(counts:)``).
    public var classWeights: [Float] { ScanReport.balancedClassWeights(counts: classCounts) }
    /// Whether batches are augmented (training with an augmentation policy).
    public var augments: Bool { role == .training && config.augmentation != nil }
    /// Whether each batch is followed by its augmented copy (the tutorial's doubling).
    public var doubles: Bool { augments && config.appendAugmentedCopy }
    /// Images per full batch: the batch size, twice it when doubling.
    public var imagesPerBatch: Int { config.batchSize * (doubles ? 2 : 1) }
    /// Whether the last partial batch is dropped (training only; validation sees every image).
    public var dropsLast: Bool { role == .training && config.dropLast }
    /// Batches per epoch (for progress bars).
    public var batchesPerEpoch: Int {
        dropsLast ? samples.count / config.batchSize : (samples.count + config.batchSize - 1) / config.batchSize
    }
    /// The same as ``batchesPerEpoch``: the `len()` of the tutorial's `Sequence`.
    public var count: Int { batchesPerEpoch }
    /// Channels, height and width of one image in a batch.
    public var imageShape: [Int] { [3, config.cropHeight, config.cropWidth] }

    /// Files that failed to decode while loading, with the reason (each reported once, then replaced).
    public var loadFailures: [FileProblem] {
        lock.lock(); defer { lock.unlock() }
        return failed.sorted { $0.key < $1.key }.map { FileProblem(path: samples[$0.key].path, reason: $0.value) }
    }

    /// The error that ended the last epoch early, if one did (every image of a class became unreadable).
    public var lastError: DataError? {
        lock.lock(); defer { lock.unlock() }
        return lastFailure
    }

    /// Sample indices in the order of `epoch`: a seeded shuffle for training (when enabled), else the fixed order.
    public func order(epoch: Int) -> [Int] {
        var order = Array(samples.indices)
        if role == .training && config.shuffle {
            var g = SeededDraws.generator(seed: config.seed, .epochOrder, epoch)
            SeededDraws.shuffle(&order, using: &g)
        }
        return order
    }

    // MARK: Batches

    /// The batches of `epoch`, made ahead on a background thread (`config.prefetchBatches` of them; none when 0).
    /// Dropping the iterator early stops the thread. If every image of a class fails to decode, the epoch ends
    /// early and ``lastError`` says why.
    /// - Throws: ``DataError/invalidConfig(parameter:reason:)`` for a negative epoch.
    public func batches(epoch: Int) throws -> AnyIterator<Batch> {
        guard epoch >= 0 else { throw DataError.invalidConfig(parameter: "epoch", reason: "must not be negative, got \(epoch)") }
        let order = order(epoch: epoch), total = batchesPerEpoch
        lock.lock(); lastFailure = nil; lock.unlock()
        if config.prefetchBatches == 0 {
            var i = 0
            return AnyIterator { [self] in
                guard i < total else { return nil }
                defer { i += 1 }
                do { return try makeBatch(epoch: epoch, index: i, order: order) } catch {
                    i = total
                    record(error)
                    return nil
                }
            }
        }
        let handle = PrefetchHandle(Prefetcher(count: total, capacity: config.prefetchBatches) { [self] i in
            try makeBatch(epoch: epoch, index: i, order: order)
        })
        return AnyIterator { [self] in
            switch handle.prefetcher.next() {
            case .success(let batch): return batch
            case .failure(let error): record(error); return nil
            case nil: return nil
            }
        }
    }

    /// Batch `index` of `epoch`, made on the calling thread (what the background thread runs).
    public func batch(epoch: Int, index: Int) throws -> Batch {
        guard index >= 0 && index < batchesPerEpoch else {
            throw DataError.invalidConfig(parameter: "index", reason: "batch \(index) is outside 0..<\(batchesPerEpoch)")
        }
        return try makeBatch(epoch: epoch, index: index, order: order(epoch: epoch))
    }

    private func record(_ error: Error) {
        let dataError = error as? DataError ?? .invalidConfig(parameter: "batch", reason: "\(error)")
        lock.lock(); lastFailure = dataError; lock.unlock()
        onWarning("error: \(dataError.localizedDescription); the epoch ends early")
    }

    /// This loader for rank `rank` of `ranks`: training keeps every sample and makes the rank's share of each
    /// global batch (the epoch's order is the same on every rank); validation keeps a contiguous part of the
    /// samples, so the ranks' results concatenated in rank order are the single-process order.
    public func sharded(rank: Int, of ranks: Int) throws -> DataLoader {
        let shard = try DataShard(rank: rank, of: ranks)
        switch role {
        case .training:
            guard config.batchSize >= ranks else {
                throw DataError.invalidConfig(parameter: "batchSize", reason: "the global batch (\(config.batchSize)) must hold at least one image per rank (\(ranks) ranks)")
            }
            return try DataLoader(samples: samples, root: root, classNames: classNames, config: config, role: role, cache: cache, shard: shard)
        case .validation:
            let part = Array(samples[shard.range(of: samples.count)])
            return try DataLoader(samples: part, root: root, classNames: classNames, config: config, role: role, cache: cache)
        }
    }

    private func makeBatch(epoch: Int, index: Int, order: [Int]) throws -> Batch {
        let bs = config.batchSize
        let global = Array(order[(index * bs)..<min((index + 1) * bs, order.count)])
        let slots = Array(global[shard.range(of: global.count)])  // all of it on one process
        let m = slots.count, n = doubles ? 2 * m : m
        let h = config.cropHeight, w = config.cropWidth, c = 3, size = c * h * w
        var labels = [Int](repeating: 0, count: n)
        // Every value is written below (a crop or a warp fills its whole slot), so the buffer is not zeroed first;
        // Float is a trivial type, so counting it initialised up front is safe even if a load throws.
        let scalars = try [Float](unsafeUninitializedCapacity: n * size) { buffer, initialised in
            initialised = n * size
            for (i, s) in slots.enumerated() {
                let image = try crop(for: s)
                labels[i] = samples[s].label
                let dst = UnsafeMutableBufferPointer(rebasing: buffer[(i * size)..<((i + 1) * size)])
                if let policy = config.augmentation, role == .training {
                    if doubles {
                        PixelWriter.writePlanar(image, into: dst)
                        labels[m + i] = labels[i]
                        let copy = UnsafeMutableBufferPointer(rebasing: buffer[((m + i) * size)..<((m + i + 1) * size)])
                        let p = policy.parameters(seed: config.seed, epoch: epoch, sample: s, copy: 1, height: h, width: w)
                        policy.apply(p, to: image, into: copy)
                    } else {
                        let p = policy.parameters(seed: config.seed, epoch: epoch, sample: s, height: h, width: w)
                        policy.apply(p, to: image, into: dst)
                    }
                } else {
                    PixelWriter.writePlanar(image, into: dst)
                }
            }
            PixelWriter.normalise(buffer, policy: config.normalisation, count: n, channels: c, plane: h * w)
        }
        return try Batch(images: Tensor(shape: [n, c, h, w], scalars: scalars), labels: labels, classCount: classCount)
    }

    /// The crop of sample `s`: from the cache, else decoded (and cached); a file that fails is reported once and
    /// replaced by the next readable sample of the same class, in the fixed sample order.
    func crop(for s: Int) throws -> ByteImage {
        let label = samples[s].label
        var lastReason = "", lastPath = samples[s].path
        for k in 0..<samples.count {
            let candidate = (s + k) % samples.count
            guard samples[candidate].label == label else { continue }
            lock.lock(); let known = failed[candidate] != nil; lock.unlock()
            if known { continue }
            let path = samples[candidate].path
            if let image = cache.image(for: path) { return image }
            do {
                guard let image = try preparer.load(rootPath + "/" + path) else {
                    throw ImageError.invalidParameter(name: "size", reason: "now smaller than the \(config.cropHeight)×\(config.cropWidth) crop")
                }
                cache.insert(image, for: path)
                return image
            } catch {
                let reason = ImageFolder.reason(error, path: rootPath + "/" + path)
                lock.lock(); failed[candidate] = reason; lock.unlock()
                onWarning("warning: \(rootPath)/\(path) no longer decodes (\(reason)); using another image of class '\(classNames[label])' in its place")
                lastReason = reason
                lastPath = path
            }
        }
        throw DataError.classUnreadable(name: classNames[label], lastFile: rootPath + "/" + lastPath, reason: lastReason)
    }
}
