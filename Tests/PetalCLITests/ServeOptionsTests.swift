#if Serve
// `petal serve` as a process of its own. Issue 31, item 18: it names the option that keeps it from starting (a port in
// use, a port that needs rights, a host that does not resolve or is not this machine's, each limit out of range) in one
// line, instead of SwiftNIO's "IOError error 1" or one message for four options. Item 6: a body over the limit is
// answered with 413 after it has been read to its end, so a client that sends its whole body before reading (as curl and
// most libraries do) gets the answer at once instead of blocking until the 30 s idle timeout; past the drain limit the
// connection is closed instead. (A process of its own: inside the test process, a body read in many small
// asynchronous steps crawls while the other tests keep the cooperative threads busy.)
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import Petal

/// Sends `bytes` over a fresh TCP connection to the loopback port (the calls block, so on a thread of its own) and
/// reads the answer until the server closes the connection; gives up after `timeout` seconds of silence.
func exchange(port: Int, _ bytes: Data, timeout: Int = 60) async -> (answer: String, seconds: Double) {
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
                        let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
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

@Suite struct ServeOptionsTests {
    /// A width-4 ResNet-18 checkpoint (32×32 crops, classes a and b) in a fresh folder.
    static func checkpointFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-serve-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 1))
        var meta = CheckpointMetadata(resnet: model, classNames: ["a", "b"])
        meta.inputSize = [32, 32]
        try model.save(to: dir.appendingPathComponent("model.safetensors"), metadata: meta)
        return dir
    }

    /// A socket listening on a free loopback port, and the port.
    static func listener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func startUpProblemsNameTheOption() throws {
        let dir = try Self.checkpointFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (fd, taken) = try Self.listener()
        defer { close(fd) }
        var cases: [([String], String)] = [
            (["--port", "\(taken)"], "--port \(taken): another program listens on it at 127.0.0.1; choose another port, or --port 0 for any free one"),
            (["--host", "no-such-host.invalid"], "--host no-such-host.invalid: not an address or a known host name"),
            (["--host", "192.0.2.1", "--port", "0"], "--host 192.0.2.1: not an address of this machine"),
            (["--port", "70000"], "--port must be 0 to 65535, got 70000"),
            (["--max-wait-ms=-1"], "--max-wait-ms must not be negative"),
            (["--max-body-bytes", "0"], "--max-body-bytes must be positive, got 0"),
            (["--max-pixels", "0"], "--max-pixels must be positive, got 0"),
            (["--max-batch", "0"], "--max-batch must be 1 to 1024, got 0"),
        ]
        if getuid() != 0 { cases.append((["--port", "80"], "--port 80: ports below 1024 need administrator rights")) }
        for (options, expected) in cases {
            let r = try CLI.run(["serve", "model.safetensors"] + options, in: dir)
            #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(expected), "\(options): \(r.status) \(r.stderr)")
        }
    }

    @Test func anOversizedBodyIsAnsweredWithoutWaitingForTheIdleTimeout() async throws {
        let dir = try Self.checkpointFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = Process()
        server.executableURL = CLI.executable
        server.arguments = ["serve", "model.safetensors", "--port", "0", "--max-body-bytes", "4000", "--threads", "1"]
        server.currentDirectoryURL = dir
        let out = Pipe()
        server.standardOutput = out
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        // "Serving … on http://127.0.0.1:PORT: …"
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")), let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty { line += byte }
        let text = String(decoding: line, as: UTF8.self)
        let port = try #require(text.split(separator: ":").dropFirst(2).first.flatMap { Int($0) }, "\(text)")
        func post(_ length: Int, close: Bool) -> Data {
            Data("POST /predict HTTP/1.1\r\nHost: petal\r\nContent-Type: image/png\r\nContent-Length: \(length)\r\n\(close ? "Connection: close\r\n" : "")\r\n".utf8)
        }
        // With Connection: close, a body far beyond the sockets' buffers: the 413, then the end of the connection, well
        // before the idle timeout (30 s).
        let body = Data(repeating: 7, count: 24_000_000)
        let closed = await exchange(port: port, post(body.count, close: true) + body)
        #expect(closed.answer.hasPrefix("HTTP/1.1 413") && closed.answer.contains("the body is 24000000 bytes, more than the 4000 allowed"), "\(closed.answer)")
        #expect(closed.seconds < 20, "the client waited \(closed.seconds) s")
        // Kept alive: the connection carries the next request after the refused one.
        let health = Data("GET /health HTTP/1.1\r\nHost: petal\r\nConnection: close\r\n\r\n".utf8)
        let kept = await exchange(port: port, post(100_000, close: false) + Data(repeating: 7, count: 100_000) + health)
        #expect(kept.answer.hasPrefix("HTTP/1.1 413") && kept.answer.contains("HTTP/1.1 200 OK") && kept.answer.contains("\"status\":\"ok\""), "\(kept.answer)")
        // Declared past what is worth reading (the limit plus 64 MiB): answered and closed at once.
        let huge = await exchange(port: port, post(1 << 30, close: false) + Data(repeating: 1, count: 1000))
        #expect(huge.answer.hasPrefix("HTTP/1.1 413") && huge.answer.contains("1073741824 bytes") && huge.answer.lowercased().contains("connection: close"), "\(huge.answer)")
        #expect(huge.seconds < 20, "the client waited \(huge.seconds) s")
    }
}
#endif
