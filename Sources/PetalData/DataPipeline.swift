// From a folder and a configuration to the two loaders, in one call, with every data set problem found before
// any training: unknown or empty classes and (in strict mode) unreadable files stop here with a clear error;
// otherwise each unreadable file gets one warning and is left out. The scan's decoded crops go straight into the
// shared cache, so the first training epoch does not decode the files a second time.
import Foundation
import PetalFiles

/// Everything a training run needs from its data set.
public struct PreparedData: Sendable {
    /// The listed folder.
    public let folder: ImageFolder
    /// What the scan found, with duplicates across the split marked.
    public let report: ScanReport
    /// The split used (after `perClassLimit`); save it with the run to reproduce it.
    public let split: DataSplit
    /// Training batches: shuffled each epoch, augmented by the policy.
    public let train: DataLoader
    /// Validation batches: fixed order, never augmented, every image.
    public let validation: DataLoader
    /// The decoded crops both loaders share.
    public let cache: ImageCache
}

/// The one-call way from a class-folder data set to loaders:
/// ```swift
/// let data = try DataPipeline.prepare(root: URL(fileURLWithPath: "Data/flowers-mini"), config: DataConfig(classes: ["daisy", "rose"]))
/// try data.split.write(to: run.appendingPathComponent("split.json"))   // reproduce later with `splitFile:`
/// for epoch in 0..<epochs {
///     for batch in try data.train.batches(epoch: epoch) { /* batch.images [N, 3, 100, 100], batch.oneHot */ }
/// }
/// ```
public enum DataPipeline {
    /// Lists, scans and splits a data set and makes its training and validation loaders.
    /// - Parameters:
    ///   - root: the folder with one sub-folder per class.
    ///   - config: every data setting (the tutorial's defaults when omitted).
    ///   - splitFile: a split saved by an earlier run (``DataSplit/write(to:)``) to use instead of drawing one; its
    ///     own fraction, order and seed then apply (the config's `perClassLimit`s still do).
    ///   - split: a split to use as it is (what rank 0 of a distributed run sends the others); `splitFile` wins.
    ///   - skipMissing: leave out the files of `splitFile` that are no longer usable, with a warning naming each, instead
    ///     of refusing the split (the run then no longer ends as it would have with them).
    ///   - log: receives the summary and one warning per skipped file (stderr by default).
    /// - Throws: ``DataError`` for an unknown or empty class, a missing root, bad settings, a split file that does
    ///   not fit, unreadable files in strict mode, or a training set smaller than one batch when `dropLast` is on.
    public static func prepare(root: URL, config: DataConfig = DataConfig(), splitFile: URL? = nil, split given: DataSplit? = nil,
                               skipMissing: Bool = false, log: @Sendable (String) -> Void = PetalLog.sink)
        throws -> PreparedData {
        try config.validate()
        let folder = try ImageFolder(root: root, classes: config.classes)
        let cache = ImageCache(budgetBytes: config.cacheBudgetMB << 20)
        var report = folder.scan(preparer: ImagePreparer(config: config)) { path, image in cache.insert(image, for: path) }

        let skipped = report.skipped
        if config.strict && !skipped.isEmpty {
            throw DataError.rejectedFiles(count: skipped.count, first: skipped.prefix(3).map { "\(folder.path($0.path)): \($0.reason)" })
        }
        report.warnings.forEach(log)
        for c in report.classes where c.usable.isEmpty {
            let small = c.smallerThanCrop.count, bad = c.unreadable.count
            throw DataError.emptyClass(name: c.name, path: folder.path(c.name),
                                       reason: "\(c.fileCount) file(s): \(bad) unreadable, \(small) smaller than the \(config.cropHeight)×\(config.cropWidth) crop")
        }

        let full: DataSplit
        if let splitFile {
            var saved = try DataSplit.read(from: splitFile)
            if skipMissing && saved.classes == report.classNames {
                let (kept, dropped) = saved.withoutMissing(in: report)
                for file in dropped {
                    log("warning: \(FileSystem.printable(folder.path(file))) of \(splitFile.lastPathComponent) is missing or unusable; going on without it")
                }
                saved = kept
            }
            full = saved
            try full.check(against: report, source: splitFile.path)
        } else if let given {
            full = given
            try full.check(against: report, source: "the split received from rank 0")
        } else {
            full = DataSplit(files: report.classes.map(\.usable), classes: report.classNames,
                             validationFraction: config.validationFraction, order: config.splitOrder, seed: config.seed)
        }
        let split = full.limited(train: config.perClassLimit, validation: config.validationPerClassLimit)
        report.markLeakage(split)
        // A class can lose every training image to the split when it is tiny (1 image at 20 % gives 0 + 1): the
        // network could never learn it, so this stops the run like an empty folder does. (Validation cannot end up
        // empty: with a fraction above 0, the floor in the training count leaves it at least one image.)
        for (label, name) in split.classes.enumerated() {
            if split.train[label].isEmpty {
                throw DataError.emptyClass(name: name, path: folder.path(name),
                                           reason: "no training images after the split (\(report.classes[label].usable.count) usable, validation fraction \(split.validationFraction))")
            }
        }

        let trainCount = split.trainCounts.reduce(0, +)
        if config.dropLast && trainCount < config.batchSize {
            throw DataError.invalidConfig(parameter: "batchSize", reason: "\(config.batchSize) is more than the \(trainCount) training images, so every batch would be dropped; lower it or turn off dropLast")
        }
        func samples(_ lists: [[String]]) -> [Sample] {
            lists.enumerated().flatMap { label, paths in paths.map { Sample(path: $0, label: label) } }
        }
        let train = try DataLoader(samples: samples(split.train), root: folder.root, classNames: folder.classes,
                                   config: config, role: .training, cache: cache)
        let validation = try DataLoader(samples: samples(split.validation), root: folder.root, classNames: folder.classes,
                                        config: config, role: .validation, cache: cache)
        log(report.summary)
        // Limits are named even when the split is smaller than they are, so an ablation asked for is never invisible.
        let limits = [config.perClassLimit.map { "training limited to \($0) per class" },
                      config.validationPerClassLimit.map { "validation limited to \($0) per class" }].compactMap { $0 }
        log("  split (\(split.order.rawValue), seed \(split.seed)): training \(split.trainCounts) = \(trainCount) images, "
            + "validation \(split.validationCounts) = \(split.validationCounts.reduce(0, +))"
            + (limits.isEmpty ? "" : " (\(limits.joined(separator: ", ")))")
            + "; training takes \(train.batchesPerEpoch) batches of \(train.imagesPerBatch) per epoch")
        return PreparedData(folder: folder, report: report, split: split, train: train, validation: validation, cache: cache)
    }

    /// A loader over every usable image of a data set, in class order, for evaluation: no split, no augmentation,
    /// and no batch is dropped. Unreadable and too-small files are left out with a warning, as in training.
    /// - Throws: ``DataError`` for a missing root, an unknown or empty class, or bad settings.
    public static func prepareEvaluation(root: URL, config: DataConfig = DataConfig(),
                                         log: @Sendable (String) -> Void = PetalLog.sink)
        throws -> DataLoader {
        var config = config
        (config.augmentation, config.appendAugmentedCopy, config.dropLast, config.shuffle) = (nil, false, false, false)
        try config.validate()
        let folder = try ImageFolder(root: root, classes: config.classes)
        let cache = ImageCache(budgetBytes: config.cacheBudgetMB << 20)
        let report = folder.scan(preparer: ImagePreparer(config: config)) { path, image in cache.insert(image, for: path) }
        report.warnings.forEach(log)
        for c in report.classes where c.usable.isEmpty {
            throw DataError.emptyClass(name: c.name, path: folder.path(c.name), reason: "\(c.fileCount) file(s), none usable")
        }
        let samples = report.classes.enumerated().flatMap { label, c in c.usable.map { Sample(path: $0, label: label) } }
        return try DataLoader(samples: samples, root: folder.root, classNames: folder.classes, config: config, role: .validation, cache: cache)
    }
}
