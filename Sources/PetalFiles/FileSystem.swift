// Reading files and listing folders by their raw bytes, with reasons a person can act on. Linux file names are bytes,
// not text: a name that is not valid UTF-8 is kept in a Swift `String` by mapping each byte that does not decode to a
// private-use scalar (U+F780…U+F7FF, as Python's `surrogateescape` does with lone surrogates), and mapped back to
// the same byte whenever the file is opened, so such files load like any other. Errors say what the path is (a
// folder, a FIFO, a broken link) in plain words instead of Foundation's domain and code.
import Foundation
#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif

/// What a path names, following symbolic links.
public enum FileKind: Equatable, Sendable {
    case regularFile
    case directory
    /// A FIFO, socket, device or loop of symbolic links ("a FIFO", "a socket", "a device", "a loop of symbolic links").
    case special(String)
    /// A symbolic link whose target does not exist.
    case brokenLink
    case missing
}

/// A file that could not be read or listed, with the reason in plain words.
public struct FileError: Error, LocalizedError, Equatable, Sendable {
    /// The path, as given.
    public let path: String
    /// What went wrong, in plain words ("no such file", "is a FIFO, not a regular file", "permission denied").
    public let reason: String

    /// An error about `path`.
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }

    /// "path: reason", with bytes that are not UTF-8 shown as `\xNN`.
    public var errorDescription: String? { "\(FileSystem.printable(path)): \(reason)" }
}

/// The reason a JSON file could not be decoded, in plain words (Foundation's own message is "The data couldn't be
/// read because it isn't in the correct format").
public func plainDecodingReason(_ error: Error) -> String {
    func path(_ keys: [CodingKey]) -> String { keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
    switch error {
    case DecodingError.keyNotFound(let key, let c): return "the key '\(path(c.codingPath + [key]))' is missing"
    case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
        return "'\(path(c.codingPath))' has the wrong type or is empty"
    case DecodingError.dataCorrupted(let c):
        return c.codingPath.isEmpty ? "it is not valid JSON" : "'\(path(c.codingPath))' has a value that is not allowed"
    default: return "\(error)"
    }
}

/// File access by raw bytes; see the file's header.
public enum FileSystem {
    private static let escapeBase: UInt32 = 0xF700

    /// A file name's bytes as a `String`: UTF-8 text as it is, each byte that does not decode as a private-use scalar.
    public static func name(fromBytes bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < bytes.count {
            let length = sequenceLength(bytes, at: i)
            if length > 0, let s = String(validating: bytes[i..<(i + length)], as: UTF8.self) {
                out.append(contentsOf: s.unicodeScalars)
                i += length
            } else {
                out.append(Unicode.Scalar(escapeBase + UInt32(bytes[i]))!)
                i += 1
            }
        }
        return String(out)
    }

    /// The bytes a path stands for (the inverse of ``name(fromBytes:)``), NUL-terminated for the C calls.
    public static func bytes(of path: String) -> [UInt8] {
        var out: [UInt8] = []
        for s in path.unicodeScalars {
            if (escapeBase + 0x80...escapeBase + 0xFF).contains(s.value) { out.append(UInt8(s.value - escapeBase)) } else { out += Array(String(s).utf8) }
        }
        return out
    }

    /// The path with escaped bytes shown as `\xNN`, for messages.
    public static func printable(_ path: String) -> String {
        var out = ""
        for s in path.unicodeScalars {
            if (escapeBase + 0x80...escapeBase + 0xFF).contains(s.value) { out += String(format: "\\x%02X", s.value - escapeBase) } else { out.unicodeScalars.append(s) }
        }
        return out
    }

    /// The names in a folder (hidden ones included), unsorted; nil when the folder cannot be listed.
    public static func entries(of folder: String) -> [String]? {
        guard let dir = withCPath(folder, { opendir($0) }) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(self.name(fromBytes: name))
        }
        return names
    }

    /// What `path` names, following links.
    public static func kind(of path: String) -> FileKind {
        var st = stat()
        if withCPath(path, { stat($0, &st) }) != 0 {
            if errno == ELOOP { return .special("a loop of symbolic links") }  // links that lead back to themselves, not a missing target
            var link = stat()
            return withCPath(path, { lstat($0, &link) }) == 0 ? .brokenLink : .missing
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        case S_IFIFO: return .special("a FIFO")
        case S_IFSOCK: return .special("a socket")
        default: return .special("a device")
        }
    }

    /// The whole contents of a regular file.
    /// - Throws: ``FileError`` saying the file is missing, a broken link, a folder, a FIFO or device, or why the
    ///   system refused it.
    public static func read(_ path: String) throws -> Data {
        func fail(_ reason: String) -> FileError { FileError(path: path, reason: reason) }
        switch kind(of: path) {
        case .missing: throw fail("no such file")
        case .brokenLink: throw fail("a broken symbolic link (its target does not exist)")
        case .directory: throw fail("is a folder, not a file")
        case .special(let what): throw fail("is \(what), not a regular file")
        case .regularFile: break
        }
        let fd = withCPath(path) { open($0, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw fail(systemReason(errno)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail(systemReason(errno)) }
        var data = Data(count: max(Int(st.st_size), 0))
        var filled = 0
        while true {
            if filled == data.count { data.count += 1 << 16 }  // a file that grew since fstat
            let n = data.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(systemReason(errno))
            }
            if n == 0 { break }
            filled += n
        }
        data.count = filled
        return data
    }

    /// The system's reason in plain words ("permission denied" rather than an error code).
    public static func systemReason(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM: "permission denied"
        case ENOENT: "no such file"
        case EISDIR: "is a folder, not a file"
        case ENOSPC: "the disk is full"
        case EROFS: "the file system is read-only"
        default: String(cString: strerror(code)).lowercased()
        }
    }

    private static func withCPath<R>(_ path: String, _ body: (UnsafePointer<CChar>) -> R) -> R {
        (bytes(of: path) + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }

    /// Bytes in the UTF-8 sequence starting at `i` by its lead byte (0 for a byte that cannot start one).
    private static func sequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let lead = b[i]
        let n = lead < 0x80 ? 1 : lead >= 0xC2 && lead < 0xE0 ? 2 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xF0 && lead < 0xF5 ? 4 : 0
        return i + n <= b.count ? n : 0
    }
}
