// Which files of a run folder Petal wrote, so that overwriting a run removes those and nothing a person put there: a
// line per file name appended to `.petal-written` whenever Petal writes a file into a folder it has locked as a run
// folder (one that holds `.petal-lock`). Appends of a short line are atomic, so concurrent writers need no lock.
import Foundation

/// The record of the files Petal wrote in a run folder.
public enum RunFolderManifest {
    /// The file a run folder's writer creates (and keeps: it says which process holds the folder).
    public static let lockFileName = ".petal-lock"
    /// The record's file name.
    public static let fileName = ".petal-written"

    /// Records that Petal wrote `url` when its folder is a run folder (nothing otherwise).
    public static func record(_ url: URL) {
        let folder = url.deletingLastPathComponent()
        var lock = stat()
        guard lstat(folder.appendingPathComponent(lockFileName).path, &lock) == 0, lock.st_mode & S_IFMT == S_IFREG else { return }
        let fd = open(folder.appendingPathComponent(fileName).path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { return }  // an unwritable record only makes a later overwrite keep more
        defer { close(fd) }
        let line = Array((url.lastPathComponent + "\n").utf8)
        _ = line.withUnsafeBytes { systemWrite(fd, $0.baseAddress!, $0.count) }
    }

    /// The names recorded in `folder`, or nil when it has no record (a run written before Petal kept one).
    public static func names(in folder: URL) -> Set<String>? {
        guard let text = try? String(contentsOf: folder.appendingPathComponent(fileName), encoding: .utf8) else { return nil }
        return Set(text.split(separator: "\n").map(String.init))
    }
}
