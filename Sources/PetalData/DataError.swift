// Everything PetalData throws. Each case names the folder, file or setting at fault and what was expected,
// so that the CLI can print it on one line and stop before any training starts.
import Foundation

/// Errors of the data layer: a data set that cannot be trained on, or a setting that makes no sense.
public enum DataError: Error, LocalizedError, Equatable, Sendable {
    /// The data set's root folder does not exist or is not a folder.
    case rootNotFound(path: String)
    /// The root holds no class sub-folders.
    case noClassFolders(root: String)
    /// A requested class has no folder under the root.
    case unknownClass(name: String, root: String, available: [String])
    /// A class has no usable image (an empty folder, or every file was unreadable or too small).
    case emptyClass(name: String, path: String, reason: String)
    /// Strict mode: the scan found files it would otherwise have skipped.
    case rejectedFiles(count: Int, first: [String])
    /// A configuration value is out of range.
    case invalidConfig(parameter: String, reason: String)
    /// A split file cannot be read, or does not match the data set on disk.
    case splitFile(path: String, reason: String)
    /// Every image of a class failed to decode while loading (the files changed after the scan).
    case classUnreadable(name: String, lastFile: String, reason: String)

    /// One line: the folder, file or parameter at fault, then the reason.
    public var errorDescription: String? {
        switch self {
        case .rootNotFound(let path):
            return "\(path): data set folder not found (expected one sub-folder of images per class)"
        case .noClassFolders(let root):
            return "\(root): no class sub-folders (expected one sub-folder of images per class)"
        case .unknownClass(let name, let root, let available):
            return "\(root): no folder for class '\(name)'; available classes: \(available.joined(separator: ", "))"
        case .emptyClass(let name, let path, let reason):
            return "\(path): class '\(name)' cannot be trained on: \(reason)"
        case .rejectedFiles(let count, let first):
            let more = count > first.count ? " and \(count - first.count) more" : ""
            return "strict mode: \(count) unreadable or unusable file(s): \(first.joined(separator: "; "))\(more)"
        case .invalidConfig(let parameter, let reason):
            return "invalid data setting \(parameter): \(reason)"
        case .splitFile(let path, let reason):
            return "\(path): split file \(reason)"
        case .classUnreadable(let name, let lastFile, let reason):
            return "\(lastFile): every image of class '\(name)' failed to decode while loading (last error: \(reason))"
        }
    }
}
