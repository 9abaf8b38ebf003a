// A data set on disk: one sub-folder per class, images inside. Everything is listed in sorted order (byte order
// of the UTF-8 names, the order of Python's `sorted`), so labels and file order are the same on every machine
// whatever order the file system returns. Hidden entries (names starting with '.') are ignored; a symbolic link
// to a folder or file counts as what it points to, but folders inside a class folder are not searched, so a
// link cycle cannot make the listing endless (they are noted in the scan report).
import Foundation

/// A class-folder data set: `root/<class>/<image>`; label `i` is the `i`-th class in `classes`.
public struct ImageFolder: Sendable, Equatable {
    /// The root folder.
    public var root: URL { URL(fileURLWithPath: rootPath, isDirectory: true) }
    /// The root as a POSIX path without a trailing slash, the form the listing and the loaders use.
    let rootPath: String
    /// Class names in label order.
    public let classes: [String]
    /// For each class, its entries as paths relative to the root (`"rose/123.jpg"`), sorted by name.
    public let files: [[String]]
    /// Folders found inside class folders, relative to the root; they are not searched.
    public let nestedFolders: [String]

    /// Lists a data set.
    /// - Parameters:
    ///   - root: the folder that holds one sub-folder per class.
    ///   - classes: the classes to use, in label order (a subset, like the tutorial's `daisy, rose`);
    ///     `nil` takes every sub-folder in sorted order.
    /// - Throws: ``DataError/rootNotFound(path:)``, ``DataError/noClassFolders(root:)``,
    ///   ``DataError/unknownClass(name:root:available:)``, or ``DataError/emptyClass(name:path:reason:)`` for a
    ///   class folder with no files at all.
    public init(root: URL, classes: [String]? = nil) throws {
        var trimmed = root.path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.rootPath = trimmed
        guard Self.isDirectory(trimmed) else { throw DataError.rootNotFound(path: trimmed) }
        let available = Self.visibleEntries(of: trimmed).filter { Self.isDirectory(trimmed + "/" + $0) }
        guard !available.isEmpty else { throw DataError.noClassFolders(root: trimmed) }
        if let classes {
            if let missing = classes.first(where: { !available.contains($0) }) {
                throw DataError.unknownClass(name: missing, root: trimmed, available: available)
            }
            self.classes = classes
        } else {
            self.classes = available
        }
        var files: [[String]] = [], nested: [String] = []
        for name in self.classes {
            let folder = trimmed + "/" + name
            var list: [String] = []
            for entry in Self.visibleEntries(of: folder) {
                if Self.isDirectory(folder + "/" + entry) { nested.append(name + "/" + entry) } else { list.append(name + "/" + entry) }
            }
            guard !list.isEmpty else { throw DataError.emptyClass(name: name, path: folder, reason: "the folder holds no files") }
            files.append(list)
        }
        self.files = files
        self.nestedFolders = nested
    }

    /// An entry given relative to the root (`"rose/123.jpg"`).
    public func file(_ relative: String) -> URL { URL(fileURLWithPath: path(relative)) }

    /// The POSIX path of an entry given relative to the root.
    func path(_ relative: String) -> String { rootPath + "/" + relative }

    /// Number of entries over all classes.
    public var fileCount: Int { files.reduce(0) { $0 + $1.count } }

    /// Non-hidden names in a folder, in UTF-8 byte order; an unreadable folder lists as empty.
    static func visibleEntries(of folder: String) -> [String] {
        let names = FileSystem.entries(of: folder) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Whether `path` is a folder, following a symbolic link.
    static func isDirectory(_ path: String) -> Bool { FileSystem.kind(of: path) == .directory }
}
