#if Serve
// Issue 31, item 6: a body over the limit is answered with 413 after it has been read to its end, so a client that
// sends its whole body before reading (as curl and most libraries do) gets the answer at once instead of blocking on a
// server that stopped reading until the 30 s idle timeout; past the drain limit the connection is closed instead.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PetalServe
import Testing

/// Sends `bytes` over a fresh TCP connection to the loopback port (on a thread of its own, since the calls block) and
/// reads the answer until the server closes the connection; gives up after `timeout` seconds either way.
func exchange(port: Int, _ bytes: Data, timeout: Int = 5) async -> (answer: String, seconds: Double) {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread {
            let start = Date()
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var limit = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var answer = Data()
            if connected == 0 {
                bytes.withUnsafeBytes { raw in
                    var sent = 0
                    while sent < raw.count {
                        let n = Glibc.send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                        if n <= 0 { break }
                        sent += n
                    }
                }
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    if n <= 0 { break }
                    answer.append(contentsOf: buffer[0..<n])
                }
            }
            continuation.resume(returning: (String(decoding: answer, as: UTF8.self), Date().timeIntervalSince(start)))
        }
    }
}

@Suite(.serialized) struct OversizedBodyTests {
    static func post(length: Int, close: Bool) -> Data {
        Data("POST /predict HTTP/1.1\r\nHost: petal\r\nContent-Type: image/png\r\nContent-Length: \(length)\r\n\(close ? "Connection: close\r\n" : "")\r\n".utf8)
    }

    @Test func anOversizedBodyIsAnsweredWithoutWaitingForTheIdleTimeout() async throws {
        let fixture = try ServeFixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        // Generous limits (the idle timeout 120 s, the client's 90 s, the bound 60 s) so that a loaded machine does not
        // fail it; without the fix the client waits for the idle timeout.
        try await withServer(fixture, { ($0.maxBodyBytes, $0.idleTimeoutSeconds) = (4000, 120) }) { base, _ in
            let port = try #require(base.port)
            let body = Data(repeating: 7, count: 24_000_000)  // far more than the sockets buffer
            // With Connection: close: the 413, then the end of the connection, well before the idle timeout.
            let closed = await exchange(port: port, Self.post(length: body.count, close: true) + body, timeout: 90)
            #expect(closed.answer.hasPrefix("HTTP/1.1 413") && closed.answer.contains("the body is 24000000 bytes, more than the 4000 allowed"), "\(closed.answer)")
            #expect(closed.seconds < 60, "the client waited \(closed.seconds) s")
            // Kept alive: the connection carries the next request after the refused one.
            let health = Data("GET /health HTTP/1.1\r\nHost: petal\r\nConnection: close\r\n\r\n".utf8)
            let kept = await exchange(port: port, Self.post(length: body.count, close: false) + body + health, timeout: 90)
            #expect(kept.answer.hasPrefix("HTTP/1.1 413") && kept.answer.contains("HTTP/1.1 200 OK") && kept.answer.contains("\"status\":\"ok\""), "\(kept.answer)")
            // Declared past what is worth reading (the limit plus 64 MiB): answered and closed at once.
            let huge = await exchange(port: port, Self.post(length: 1 << 30, close: false) + Data(repeating: 1, count: 1000), timeout: 90)
            #expect(huge.answer.hasPrefix("HTTP/1.1 413") && huge.answer.contains("1073741824 bytes") && huge.answer.lowercased().contains("connection: close"), "\(huge.answer)")
            #expect(huge.seconds < 60, "the client waited \(huge.seconds) s")
        }
    }
}
#endif
