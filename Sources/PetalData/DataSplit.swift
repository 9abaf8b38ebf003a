// Train/validation splits, per class so that both sides keep the class balance. A split is a function of the
// sorted usable files, the fraction, the order and the seed only, so it is the same on every machine; it can be
// saved as JSON with a run and read back, so that a later run (or an evaluation) sees exactly the same images
// even if the folder has gained files since.
import Foundation
import PetalFiles

/// Which images of each class train and which validate.
public struct DataSplit: Codable, Sendable, Equatable {
    /// Class names in label order.
    public let classes: [String]
    /// The seed the split was drawn with.
    public let seed: UInt64
    /// The validation fraction it was made with.
    public let validationFraction: Double
    /// How it was made.
    public let order: SplitOrder
    /// Per class, the training images (paths relative to the data set root), in split order.
    public internal(set) var train: [[String]]
    /// Per class, the validation images, in split order.
    public internal(set) var validation: [[String]]

    /// Splits each class: `floor(n × (1 − fraction))` images train, the rest validate.
    /// - Parameters:
    ///   - files: per class, the usable images in sorted order (``ClassScan/usable``).
    ///   - classes: class names in label order.
    ///   - validationFraction: share of each class held out, in [0, 1).
    ///   - order: `.shuffled` (seeded shuffle of each class) or `.sequential` (first part trains).
    ///   - seed: the run's seed.
    public init(files: [[String]], classes: [String], validationFraction: Double, order: SplitOrder, seed: UInt64) {
        precondition(files.count == classes.count, "one file list per class")
        self.classes = classes
        self.seed = seed
        self.validationFraction = validationFraction
        self.order = order
        var train: [[String]] = [], validation: [[String]] = []
        for (label, list) in files.enumerated() {
            var ordered = list
            if order == .shuffled {
                var g = SeededDraws.generator(seed: seed, .split, label)
                SeededDraws.shuffle(&ordered, using: &g)
            }
            let n = Self.trainingCount(list.count, validationFraction: validationFraction)
            train.append(Array(ordered[..<n]))
            validation.append(Array(ordered[n...]))
        }
        self.train = train
        self.validation = validation
    }

    /// `floor(n × (1 − fraction))`, the tutorial's `int(0.8 * n)`, guarded against 0.8 × 100 = 79.999….
    static func trainingCount(_ n: Int, validationFraction f: Double) -> Int {
        min(n, Int((Double(n) * (1 - f) + 1e-9).rounded(.down)))
    }

    /// The split with only the first `train` training and `validation` validation images of each class kept
    /// (the tutorial's `ablation`); `nil` keeps all.
    public func limited(train trainLimit: Int?, validation validationLimit: Int?) -> DataSplit {
        var copy = self
        if let k = trainLimit { copy.train = train.map { Array($0.prefix(k)) } }
        if let k = validationLimit { copy.validation = validation.map { Array($0.prefix(k)) } }
        return copy
    }

    /// Images per class on the training side.
    public var trainCounts: [Int] { train.map(\.count) }
    /// Images per class on the validation side.
    public var validationCounts: [Int] { validation.map(\.count) }

    /// Writes the split as JSON (sorted keys, so equal splits give equal files).
    /// - Throws: ``DataError/splitFile(path:reason:)`` when the file cannot be written.
    public func write(to file: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try AtomicFile.write(encoder.encode(self), to: file)
        } catch let e as FileError {
            throw DataError.splitFile(path: file.path, reason: "cannot be written (\(e.reason))")
        } catch {
            throw DataError.splitFile(path: file.path, reason: "cannot be written (\(error.localizedDescription))")
        }
    }

    /// Reads a split written by ``write(to:)``.
    /// - Throws: ``DataError/splitFile(path:reason:)`` when it is missing or not a split.
    public static func read(from file: URL) throws -> DataSplit {
        let path = file.path
        let data: Data
        do { data = try FileSystem.read(path) } catch let e as FileError {
            throw DataError.splitFile(path: path, reason: "cannot be read (\(e.reason))")
        }
        do { return try JSONDecoder().decode(DataSplit.self, from: data) } catch {
            throw DataError.splitFile(path: path, reason: "is not a valid split (\(plainDecodingReason(error)))")
        }
    }

    /// The split without the files that are no longer usable in `report` (deleted, moved or damaged since the split
    /// was drawn), and those files, class folder first. Classes are matched by name; check the result with
    /// ``check(against:source:)``.
    public func withoutMissing(in report: ScanReport) -> (split: DataSplit, dropped: [String]) {
        let usable = Dictionary(uniqueKeysWithValues: report.classes.map { ($0.name, Set($0.usable)) })
        var copy = self, dropped: [String] = []
        for (label, name) in classes.enumerated() {
            let keep = usable[name] ?? []
            dropped += (train[label] + validation[label]).filter { !keep.contains($0) }
            (copy.train[label], copy.validation[label]) = (train[label].filter(keep.contains), validation[label].filter(keep.contains))
        }
        return (copy, dropped)
    }

    /// Checks that a saved split fits a scanned data set: the same classes, and every file still usable.
    /// - Parameter source: what errors name as the split (its file's path, say).
    /// - Throws: ``DataError/splitFile(path:reason:)`` naming the first mismatch.
    public func check(against report: ScanReport, source path: String) throws {
        guard classes == report.classNames else {
            throw DataError.splitFile(path: path, reason: "lists classes \(classes), but the data set has \(report.classNames)")
        }
        for (label, scan) in report.classes.enumerated() {
            let usable = Set(scan.usable)
            if let missing = (train[label] + validation[label]).first(where: { !usable.contains($0) }) {
                throw DataError.splitFile(path: path, reason: "names \(FileSystem.printable(missing)), which is missing or unusable in \(FileSystem.printable(report.root)); put it back, or resume without the split's missing files (--skip-missing-files)")
            }
        }
        let all = Array(train.joined()) + Array(validation.joined())
        if Set(all).count != all.count {
            throw DataError.splitFile(path: path, reason: "lists an image twice")
        }
    }
}
