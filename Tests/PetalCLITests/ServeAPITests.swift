#if Serve
// `petal serve`'s JSON API, served by a process of its own and spoken to over raw sockets: answers equal `petal
// predict`'s, bad requests get a clear 4xx, 16 concurrent requests share fewer forward passes, and /health and /metrics
// answer. (Inside the test process the server shared the two cooperative threads with the other suites' computing, and
// requests timed out in CI while they waited for a thread.)
import Foundation
import Testing
import Petal

/// One HTTP answer read to the end of its connection.
struct HTTPAnswer {
    let status: Int, body: Data
    init(_ text: String) {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? -1
        var body = parts.dropFirst().joined(separator: "\r\n\r\n")
        if head.lowercased().contains("transfer-encoding: chunked") {
            var joined = "", rest = Substring(body)
            while let end = rest.range(of: "\r\n"), let size = Int(rest[..<end.lowerBound], radix: 16), size > 0 {
                let start = end.upperBound
                let stop = rest.utf8.index(start, offsetBy: size)
                joined += rest[start..<stop]
                rest = rest[stop...].dropFirst(2)
            }
            body = joined
        }
        self.body = Data(body.utf8)
    }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// `method path` with the body (and its type) on a fresh connection, closed after the answer.
func request(_ port: Int, _ method: String, _ path: String, contentType: String? = nil, body: Data = Data()) async -> HTTPAnswer {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: petal\r\nConnection: close\r\n"
    if let contentType { head += "Content-Type: \(contentType)\r\n" }
    if method == "POST" { head += "Content-Length: \(body.count)\r\n" }
    return HTTPAnswer(await exchange(port: port, Data((head + "\r\n").utf8) + body).answer)
}

@Suite struct ServeAPITests {
    /// A PNG (40×36 by default) whose pixels depend on `seed`.
    static func png(seed: Int, height: Int = 36, width: Int = 40) throws -> Data {
        let pixels = (0..<(height * width * 3)).map { UInt8(truncatingIfNeeded: ($0 * 31 + seed * 97) ^ ($0 >> 3)) }
        return Data(try Image<UInt8>(height: height, width: width, channels: 3, pixels: pixels).encoded(as: .png))
    }

    /// The probabilities `petal predict` computes for the image with the folder's checkpoint.
    static func predicted(_ png: Data, in dir: URL) throws -> [Float] {
        let url = dir.appendingPathComponent("image-\(UUID().uuidString).png")
        try png.write(to: url)
        let model = try TrainedModel(checkpoint: dir.appendingPathComponent("model.safetensors"))
        return try InferenceSession(model.model).probabilities(ImageInput.tensor(from: url, config: model.data)).scalars
    }

    @Test func answersAsPetalPredictDoesRawAndMultipart() async throws {
        let dir = try ServeOptionsTests.checkpointFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try ServeOptionsTests.startServer(in: dir, [])
        defer { server.terminate(); server.waitUntilExit() }
        let png = try Self.png(seed: 1)
        let expected = try Self.predicted(png, in: dir)

        let raw = await request(port, "POST", "/predict", contentType: "image/png", body: png)
        #expect(raw.status == 200, "\(raw.text)")
        let probabilities = try #require(raw.json["probabilities"] as? [String: Double], "\(raw.text)")
        #expect(abs(probabilities["a"]! - Double(expected[0])) < 1e-5 && abs(probabilities["b"]! - Double(expected[1])) < 1e-5)
        #expect(raw.json["label"] as? String == (expected[0] >= expected[1] ? "a" : "b"))

        let boundary = "petal-boundary-42"
        var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
        form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
        form += png + Data("\r\n--\(boundary)--\r\n".utf8)
        let multipart = await request(port, "POST", "/predict", contentType: "multipart/form-data; boundary=\(boundary)", body: form)
        #expect(multipart.status == 200 && (multipart.json["probabilities"] as? [String: Double]) == probabilities, "\(multipart.text)")

        let health = await request(port, "GET", "/health")
        #expect(health.status == 200 && health.json["status"] as? String == "ok" && health.json["classes"] as? String == "a,b", "\(health.text)")
        let probe = await request(port, "HEAD", "/health")
        #expect(probe.status == 200 && probe.body.isEmpty, "HEAD /health answers as GET does, without a body (issue 31, item 24)")
    }

    /// GET / is the page to try the model (the model's settings embedded, nothing fetched from elsewhere); POST /explain
    /// answers as /predict does plus the crop the model saw and its Grad-CAM overlay as PNG data URLs.
    @Test func servesThePageAndExplains() async throws {
        let dir = try ServeOptionsTests.checkpointFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try ServeOptionsTests.startServer(in: dir, [])
        defer { server.terminate(); server.waitUntilExit() }
        let page = await request(port, "GET", "/")
        #expect(page.status == 200 && page.text.contains("<title>Petal · try the model</title>") && page.text.contains(#""classes":["a","b"]"#), "\(page.text.prefix(300))")
        #expect(!page.text.contains("http://") && !page.text.contains("https://"), "the page loads nothing from the network")

        let png = try Self.png(seed: 2)
        let predicted = await request(port, "POST", "/predict", contentType: "image/png", body: png)
        let explained = await request(port, "POST", "/explain", contentType: "application/octet-stream", body: png)
        #expect(explained.status == 200, "\(explained.text.prefix(300))")
        #expect(explained.json["label"] as? String == predicted.json["label"] as? String
                && explained.json["probabilities"] as? [String: Double] == predicted.json["probabilities"] as? [String: Double])
        let crop = try TrainedModel(checkpoint: dir.appendingPathComponent("model.safetensors")).data
        for key in ["crop", "gradcam"] {
            let url = try #require(explained.json[key] as? String)
            #expect(url.hasPrefix("data:image/png;base64,"))
            let image = try ImageCodec.decode(Array(Data(base64Encoded: String(url.dropFirst("data:image/png;base64,".count))) ?? Data()), source: key)
            #expect(image.height == crop.cropHeight && image.width == crop.cropWidth && image.channels == 3, "\(key)")
        }
        let text = await request(port, "POST", "/explain", contentType: "application/octet-stream", body: Data("not a photo".utf8))
        #expect(text.status == 400 && (text.json["error"] as? String)?.contains("not a readable JPEG or PNG image") == true, "\(text.text)")
    }

    @Test func badRequestsGetAClearClientError() async throws {
        let dir = try ServeOptionsTests.checkpointFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try ServeOptionsTests.startServer(in: dir, ["--max-body-bytes", "4000", "--max-pixels", "1000"])
        defer { server.terminate(); server.waitUntilExit() }
        let png = try Self.png(seed: 2), small = try Self.png(seed: 3, height: 30, width: 30)
        let cases: [(String?, Data, Int, String)] = [
            ("text/plain", Data("hello".utf8), 415, "content type text/plain is not accepted"),
            (nil, png, 415, "send the image with a Content-Type"),
            ("image/png", Data(), 400, "the body is empty"),
            ("image/jpeg", Data("not an image at all".utf8), 400, "not a readable JPEG or PNG image"),
            ("image/png", small.prefix(small.count / 2), 400, "not a readable JPEG or PNG image"),
            ("application/octet-stream", Data(repeating: 7, count: 5000), 413, "more than the 4000 allowed"),
            ("image/png", png, 413, "40×36 pixels, more than the 1000 allowed"),
            ("multipart/form-data", png, 400, "has no boundary"),
        ]
        for (type, body, status, message) in cases {
            let reply = await request(port, "POST", "/predict", contentType: type, body: body)
            #expect(reply.status == status, "\(type ?? "no type"): \(reply.text)")
            #expect((reply.json["error"] as? String)?.contains(message) == true, "\(type ?? "no type"): \(reply.text)")
        }
        // The server is still there, and counted the errors.
        let metrics = await request(port, "GET", "/metrics").text
        #expect(metrics.contains("petal_request_errors_total{path=\"/predict\"} 8"), "\(metrics)")
        #expect(metrics.contains("petal_requests_total{path=\"/predict\",status=\"415\"} 2"), "\(metrics)")
    }

    @Test func concurrentRequestsShareForwardPasses() async throws {
        let dir = try ServeOptionsTests.checkpointFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try ServeOptionsTests.startServer(in: dir, ["--max-wait-ms", "200"])
        defer { server.terminate(); server.waitUntilExit() }
        let images = try (0..<16).map { try Self.png(seed: 10 + $0) }
        let expected = try images.map { try Self.predicted($0, in: dir) }
        let replies = await withTaskGroup(of: (Int, HTTPAnswer).self) { group in
            for (i, png) in images.enumerated() {
                group.addTask { (i, await request(port, "POST", "/predict", contentType: "image/png", body: png)) }
            }
            return await group.reduce(into: [Int: HTTPAnswer]()) { $0[$1.0] = $1.1 }
        }
        for (i, want) in expected.enumerated() {
            let p = try #require(replies[i]?.json["probabilities"] as? [String: Double], "request \(i): \(replies[i]?.text ?? "")")
            #expect(abs(p["a"]! - Double(want[0])) < 1e-5 && abs(p["b"]! - Double(want[1])) < 1e-5, "request \(i)")
        }
        // The batch-size histogram: its count is the forward passes, its sum the images.
        let metrics = await request(port, "GET", "/metrics").text
        func value(_ name: String) -> Int? {
            metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last!) }.map { Int($0) }
        }
        let passes = try #require(value("petal_batch_size_count"), "\(metrics)")
        #expect(value("petal_batch_size_sum") == 16, "\(metrics)")
        #expect(passes < 16, "16 requests took \(passes) forward passes")
    }
}
#endif
