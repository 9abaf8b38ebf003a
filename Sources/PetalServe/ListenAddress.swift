#if Serve
// Whether the server can listen where it was asked to, found before it starts, so that a bad --host or --port gets a
// sentence naming the option instead of SwiftNIO's "IOError error 1" or "UnknownHost" once the server is half started.
// (Another program can still take the port between this check and the server's bind; that rare case keeps NIO's error.)
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum ListenAddress {
    /// Resolves `host` and binds a socket to it and `port` (then closes it).
    /// - Throws: ``ServeError`` (status 0) naming `--host` or `--port` and what is wrong.
    static func check(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let first = found else {
            throw ServeError(0, "--host \(host): not an address or a known host name (\(String(cString: gai_strerror(status))))")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return }  // no socket to test with: the server reports what it meets
        defer { close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))  // as the server binds
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return }
        let code = errno
        switch code {
        case EADDRINUSE: throw ServeError(0, "--port \(port): another program listens on it at \(host); choose another port, or --port 0 for any free one")
        case EACCES: throw ServeError(0, "--port \(port): ports below 1024 need administrator rights; choose a port from 1024 up")
        case EADDRNOTAVAIL: throw ServeError(0, "--host \(host): not an address of this machine; use 127.0.0.1, 0.0.0.0 (every interface) or one of its addresses")
        default: throw ServeError(0, "cannot listen on \(host):\(port): \(String(cString: strerror(code)))")
        }
    }
}
#endif
