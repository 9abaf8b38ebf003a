#if Serve
// How many connections `petal serve` keeps open at once. Each one is a file descriptor; when a process runs out of
// them, accept() fails with EMFILE at once for every connection waiting in the backlog, and SwiftNIO's event loop then
// spins on it at full CPU. So the server raises its descriptor limit to the hard limit (as Go's runtime and nginx's
// worker_rlimit_nofile do) and stops accepting below it: waiting clients stay in the kernel's backlog, and the
// connections already open are served as usual.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The descriptor budget of a serving process.
enum ConnectionLimit {
    /// Descriptors kept for everything but connections (the model file, logs, the event loops' own).
    static let headroom = 32

    /// Raises the soft descriptor limit to the hard one (capped, since macOS reports an unlimited hard limit it refuses)
    /// and returns the soft limit in force.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else { return 1024 }
        let wanted = min(limit.rlim_max, 1 << 20)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(RLIMIT_NOFILE_VALUE, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    /// Descriptors open now.
    static var openDescriptors: Int { (try? FileManager.default.contentsOfDirectory(atPath: "/dev/fd").count) ?? 16 }

    /// Connections this process can hold, `requested` or all it has room for.
    /// - Throws: ``ServeError`` naming `--max-connections` when it asks for more than the limit leaves, or when the limit
    ///   leaves no room at all.
    static func allowed(requested: Int?) throws -> Int {
        let limit = raiseDescriptorLimit()
        let room = limit - openDescriptors - headroom
        guard room >= 1 else {
            throw ServeError(0, "the file-descriptor limit (\(limit)) leaves no room for connections; raise it with `ulimit -n`")
        }
        guard let requested else { return room }
        guard requested >= 1 else { throw ServeError(0, "--max-connections must be positive, got \(requested)") }
        guard requested <= room else {
            throw ServeError(0, "--max-connections \(requested): the file-descriptor limit (\(limit)) leaves room for \(room); raise it with `ulimit -n` or ask for fewer")
        }
        return requested
    }

    #if canImport(Glibc)
    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
    #endif
}
#endif
