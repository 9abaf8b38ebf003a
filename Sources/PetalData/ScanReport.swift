// What a scan of a data set found, as plain Codable values that a run folder saves next to its config and
// the CLI's `petal inspect` prints. Paths are relative to the data set's root so that the report stays valid
// when the folder moves.
import Foundation
import PetalFiles

/// A file the scan could not use, and why.
public struct FileProblem: Codable, Sendable, Equatable {
    /// Path relative to the data set root (`"rose/123.jpg"`).
    public let path: String
    /// One line: what is wrong (from the decoder, or "smaller than the crop").
    public let reason: String
}

/// How many images of a class have one size.
public struct ImageSizeCount: Codable, Sendable, Equatable {
    /// Rows.
    public let height: Int
    /// Columns.
    public let width: Int
    /// Images of this size.
    public let count: Int
}

/// The scan of one class.
public struct ClassScan: Codable, Sendable, Equatable {
    /// Class name (its folder's name).
    public let name: String
    /// Its label: the index in the data set's class order.
    public let label: Int
    /// Entries in the folder (hidden files and sub-folders excluded).
    public let fileCount: Int
    /// Images that will be used, relative to the root, in sorted order.
    public let usable: [String]
    /// Decoded image sizes, most common first.
    public let sizes: [ImageSizeCount]
    /// Images smaller than the crop (skipped, padded or enlarged according to the policy).
    public let smallerThanCrop: [String]
    /// Files that are not readable images, with the reason.
    public let unreadable: [FileProblem]
}

/// Files whose bytes are identical.
public struct DuplicateGroup: Codable, Sendable, Equatable {
    /// The identical files, relative to the root.
    public let paths: [String]
    /// The classes they are filed under (more than one: the same picture carries two labels).
    public let classes: [String]
    /// Whether copies fall in both the training and the validation set (leakage); known once a split is made.
    public var acrossSplit: Bool

    /// Whether the copies are filed under more than one class.
    public var acrossClasses: Bool { classes.count > 1 }
}

/// Everything a scan found.
public struct ScanReport: Codable, Sendable, Equatable {
    /// The data set root.
    public let root: String
    /// Crop height the scan checked against.
    public let cropHeight: Int
    /// Crop width the scan checked against.
    public let cropWidth: Int
    /// What happens to images smaller than the crop.
    public let smallImages: SmallImagePolicy
    /// Per class, in label order.
    public let classes: [ClassScan]
    /// Groups of byte-identical usable images.
    public var duplicates: [DuplicateGroup]
    /// Folders inside class folders, which are not searched.
    public let nestedFolders: [String]

    /// Class names in label order.
    public var classNames: [String] { classes.map(\.name) }

    /// Usable images per class.
    public var usableCounts: [Int] { classes.map(\.usable.count) }

    /// Files the run leaves out: unreadable ones and, under `.skip`, images smaller than the crop.
    public var skipped: [FileProblem] {
        let small = smallImages == .skip
            ? classes.flatMap { c in c.smallerThanCrop.map { FileProblem(path: $0, reason: "smaller than the \(cropHeight)×\(cropWidth) crop") } }
            : []
        return classes.flatMap(\.unreadable) + small
    }

    /// Duplicate groups that carry more than one label or fall on both sides of the split.
    public var leaks: [DuplicateGroup] { duplicates.filter { $0.acrossClasses || $0.acrossSplit } }

    /// Marks the duplicate groups whose copies fall on both sides of `split`.
    public mutating func markLeakage(_ split: DataSplit) {
        let training = Set(split.train.joined()), validation = Set(split.validation.joined())
        for i in duplicates.indices {
            let p = duplicates[i].paths
            duplicates[i].acrossSplit = p.contains(where: training.contains) && p.contains(where: validation.contains)
        }
    }

    /// A short summary for the start of a training run: counts and sizes per class, problems, duplicates.
    public var summary: String {
        var lines = ["Data set \(root): \(classes.count) classes, \(usableCounts.reduce(0, +)) usable images (crop \(cropHeight)×\(cropWidth))"]
        for c in classes {
            let sizes = c.sizes.prefix(3).map { "\($0.width)×\($0.height) ×\($0.count)" }.joined(separator: ", ")
            let more = c.sizes.count > 3 ? ", \(c.sizes.count - 3) more sizes" : ""
            var line = "  [\(c.label)] \(c.name): \(c.usable.count) of \(c.fileCount) files usable; sizes (w×h) \(sizes)\(more)"
            if !c.unreadable.isEmpty { line += "; \(c.unreadable.count) unreadable" }
            if !c.smallerThanCrop.isEmpty { line += "; \(c.smallerThanCrop.count) smaller than the crop" }
            lines.append(line)
        }
        let counts = usableCounts
        if let lo = counts.min(), let hi = counts.max(), lo > 0, Double(hi) / Double(lo) >= 1.5 {
            lines.append("  classes are imbalanced (\(lo) to \(hi) images); consider class weights")
        }
        if !duplicates.isEmpty {
            let across = duplicates.filter(\.acrossClasses).count, split = duplicates.filter(\.acrossSplit).count
            lines.append("  \(duplicates.count) group(s) of identical files: \(across) across classes, \(split) across the train/validation split")
            for d in leaks.prefix(5) {
                lines.append("    leak: " + d.paths.joined(separator: " = ") + (d.acrossClasses ? " (different classes)" : " (both sides of the split)"))
            }
        }
        if !nestedFolders.isEmpty { lines.append("  \(nestedFolders.count) folder(s) inside class folders were not searched") }
        return lines.joined(separator: "\n")
    }

    /// The summary followed by every problem in full: each unreadable file with its reason, each image smaller
    /// than the crop with its size policy, every group of identical files, and the folders not searched
    /// (what `petal inspect` prints).
    public var details: String {
        var lines = [summary]
        for c in classes {
            for p in c.unreadable { lines.append("  unreadable: \(FileSystem.printable(p.path)): \(p.reason)") }
            let fate = smallImages == .skip ? "skipped" : smallImages == .pad ? "padded" : "enlarged"
            for path in c.smallerThanCrop { lines.append("  smaller than \(cropHeight)×\(cropWidth) (\(fate)): \(FileSystem.printable(path))") }
        }
        for d in duplicates {
            let kind = d.acrossClasses ? "different classes" : d.acrossSplit ? "both sides of the split" : "same class and side"
            lines.append("  identical (\(kind)): " + d.paths.map(FileSystem.printable).joined(separator: " = "))
        }
        for folder in nestedFolders { lines.append("  not searched (folder inside a class folder): \(FileSystem.printable(folder))") }
        return lines.joined(separator: "\n")
    }

    /// One warning line per skipped file, naming its path and the reason.
    public var warnings: [String] {
        classes.flatMap { c in c.unreadable.map { "warning: skipping \(FileSystem.printable(root + "/" + $0.path)): \($0.reason)" } }
    }

    /// Inverse-frequency class weights, `total / (classes × count)` (scikit-learn's "balanced"), for the loss:
    /// every class then carries the same total weight. Counts of zero give a weight of 0.
    public static func balancedClassWeights(counts: [Int]) -> [Float] {
        let total = Float(counts.reduce(0, +)), k = Float(counts.count)
        return counts.map { $0 > 0 ? total / (k * Float($0)) : 0 }
    }
}
