// Atomic file replacement, the one way Petal writes a file: write a temporary file in the same folder, fsync it, rename
// it over the target, fsync the folder. A crash or a failed write at any point leaves the previous file untouched, and
// only a regular file is ever replaced: a symbolic link, device, FIFO or folder at the target is refused (a run as root
// once replaced /dev/full).
import Foundation
#if canImport(Glibc)
import Glibc
/// POSIX write(2), which Foundation's `write` names shadow (used by this module's raw writers).
let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
let systemWrite = Darwin.write
#endif

/// Replaces files atomically (temporary file, fsync, rename, fsync of the folder).
public enum AtomicFile {
    /// Test hook: when set, the write fails after this many bytes (simulating a full disk or a crash). A task-local,
    /// so that a test injecting the failure cannot break other tests' saves running at the same time.
    @TaskLocal static var failAfterBytesForTesting: Int?

    /// Writes `data` to `url` so that a reader sees the old file or the new one, never a part: a temporary file in the
    /// same folder, fsync, rename, fsync of the folder.
    /// - Throws: ``FileError`` naming the file and the reason: the system's, or that the target exists and is not a
    ///   regular file.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        func fail(_ reason: String) -> FileError { FileError(path: url.path, reason: reason) }
        var existing = stat()
        if lstat(url.path, &existing) == 0, existing.st_mode & S_IFMT != S_IFREG {
            let what = switch existing.st_mode & S_IFMT {
            case S_IFLNK: "a symbolic link"
            case S_IFDIR: "a folder"
            case S_IFIFO: "a FIFO"
            case S_IFSOCK: "a socket"
            default: "a device"
            }
            throw fail("exists and is \(what); Petal replaces regular files only")
        }
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw fail("its folder \(folder.path) does not exist")
            case ENOTDIR: throw fail("\(folder.path) is not a folder")
            case EACCES, EPERM, EROFS: throw fail("cannot write in its folder \(folder.path) (\(FileSystem.systemReason(code)))")
            default: throw fail("cannot create a file in \(folder.path): \(FileSystem.systemReason(code))")
            }
        }
        var closed = false
        defer {
            if !closed { close(fd) }
            unlink(temporary.path)  // no-op after a successful rename
        }
        let limit = failAfterBytesForTesting ?? Int.max
        try data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                if written >= limit { throw fail("write failed after \(written) bytes (injected failure)") }
                let n = systemWrite(fd, raw.baseAddress! + written, min(raw.count - written, 1 << 24, max(limit - written, 1)))
                guard n > 0 else { throw fail("write failed: \(FileSystem.systemReason(errno))") }
                written += n
            }
        }
        guard fsync(fd) == 0 else { throw fail("fsync failed: \(FileSystem.systemReason(errno))") }
        close(fd)
        closed = true
        guard rename(temporary.path, url.path) == 0 else { throw fail("rename failed: \(FileSystem.systemReason(errno))") }
        let dir = open(folder.path, O_RDONLY)
        if dir >= 0 { fsync(dir); close(dir) }
        RunFolderManifest.record(url)
    }
}
