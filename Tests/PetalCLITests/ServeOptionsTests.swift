#if Serve
// Issue 31, item 18: `petal serve` names the option that keeps it from starting (a port in use, a port that needs
// rights, a host that does not resolve or is not this machine's, each limit out of range) in one line, instead of
// SwiftNIO's "IOError error 1" or one message for four options.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import Petal

@Suite struct ServeOptionsTests {
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
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-serve-options-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 1))
        var meta = CheckpointMetadata(resnet: model, classNames: ["a", "b"])
        meta.inputSize = [32, 32]
        try model.save(to: dir.appendingPathComponent("model.safetensors"), metadata: meta)
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
}
#endif
