#if Serve
// `petal serve` on a loopback port: answers equal `petal predict`'s, bad requests get a clear 4xx, 16 concurrent
// requests share fewer forward passes, and /health and /metrics answer.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PetalRun
import PetalServe
import Testing

/// A small checkpoint (ResNet-18 at width 4, 32×32 crops, classes cat and dog) and photos to send it.
struct ServeFixture {
    let folder: URL, checkpoint: URL
    let model: TrainedModel

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("petal-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let resnet = try ResNet(depth: .r18, variant: .v1, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 5))
        var meta = CheckpointMetadata(resnet: resnet, classNames: ["cat", "dog"])
        meta.inputSize = [32, 32]
        checkpoint = folder.appendingPathComponent("model.safetensors")
        try resnet.save(to: checkpoint, metadata: meta)
        model = try TrainedModel(checkpoint: checkpoint)
    }

    /// A PNG (40×36 by default) whose pixels depend on `seed`.
    static func png(seed: Int, height: Int = 36, width: Int = 40) throws -> Data {
        let pixels = (0..<(height * width * 3)).map { UInt8(truncatingIfNeeded: ($0 * 31 + seed * 97) ^ ($0 >> 3)) }
        return Data(try Image<UInt8>(height: height, width: width, channels: 3, pixels: pixels).encoded(as: .png))
    }

    /// The probabilities `petal predict` computes for the image.
    func predicted(_ png: Data) throws -> [Float] {
        let url = folder.appendingPathComponent("image-\(UUID().uuidString).png")
        try png.write(to: url)
        return try InferenceSession(model.model).probabilities(ImageInput.tensor(from: URL(fileURLWithPath: url.path), config: model.data)).scalars
    }
}

/// A server running in a task for the length of `body`.
func withServer(_ fixture: ServeFixture, _ configure: (inout ServerSettings) -> Void = { _ in },
                _ body: (URL, PredictionServer) async throws -> Void) async throws {
    var settings = ServerSettings()
    settings.port = 0
    configure(&settings)
    let server = try PredictionServer(model: fixture.model, settings: settings)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let task = Task { try await server.run { continuation.yield($0) } }
    defer { task.cancel() }
    var iterator = ports.makeAsyncIterator()
    let port = try #require(await iterator.next())
    try await body(URL(string: "http://127.0.0.1:\(port)")!, server)
}

struct Reply {
    let status: Int, body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
}

func send(_ url: URL, method: String = "POST", contentType: String? = nil, body: Data? = nil) async throws -> Reply {
    var request = URLRequest(url: url)
    request.httpMethod = method
    if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
    let (data, response) = if let body { try await URLSession.shared.upload(for: request, from: body) } else { try await URLSession.shared.data(for: request) }
    return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? -1, body: data)
}

@Suite(.serialized) struct PredictionServerTests {
    @Test func answersAsPetalPredictDoesRawAndMultipart() async throws {
        let fixture = try ServeFixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let png = try ServeFixture.png(seed: 1)
        let expected = try fixture.predicted(png)
        try await withServer(fixture) { base, _ in
            let raw = try await send(base.appendingPathComponent("predict"), contentType: "image/png", body: png)
            #expect(raw.status == 200, "\(String(decoding: raw.body, as: UTF8.self))")
            let probabilities = try #require(raw.json["probabilities"] as? [String: Double])
            #expect(abs(probabilities["cat"]! - Double(expected[0])) < 1e-5 && abs(probabilities["dog"]! - Double(expected[1])) < 1e-5)
            #expect(raw.json["label"] as? String == (expected[0] >= expected[1] ? "cat" : "dog"))

            let boundary = "petal-boundary-42"
            var form = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
            form += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            form += png + Data("\r\n--\(boundary)--\r\n".utf8)
            let multipart = try await send(base.appendingPathComponent("predict"), contentType: "multipart/form-data; boundary=\(boundary)", body: form)
            #expect(multipart.status == 200 && (multipart.json["probabilities"] as? [String: Double]) == probabilities)

            let health = try await send(base.appendingPathComponent("health"), method: "GET")
            #expect(health.status == 200 && health.json["status"] as? String == "ok" && health.json["classes"] as? String == "cat,dog")
            let probe = try await send(base.appendingPathComponent("health"), method: "HEAD")
            #expect(probe.status == 200, "HEAD /health answers as GET does, without a body (issue 31, item 24)")
        }
    }

    @Test func badRequestsGetAClearClientError() async throws {
        let fixture = try ServeFixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let png = try ServeFixture.png(seed: 2), small = try ServeFixture.png(seed: 3, height: 30, width: 30)
        try await withServer(fixture, { $0.maxBodyBytes = 4000; $0.maxPixels = 1000 }) { base, _ in
            let predict = base.appendingPathComponent("predict")
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
                let reply = try await send(predict, contentType: type, body: body)
                #expect(reply.status == status, "\(type ?? "no type"): \(String(decoding: reply.body, as: UTF8.self))")
                #expect((reply.json["error"] as? String)?.contains(message) == true, "\(type ?? "no type"): \(String(decoding: reply.body, as: UTF8.self))")
            }
            // The server is still there, and counted the errors.
            let metrics = String(decoding: try await send(base.appendingPathComponent("metrics"), method: "GET").body, as: UTF8.self)
            #expect(metrics.contains("petal_request_errors_total{path=\"/predict\"} 8"), "\(metrics)")
            #expect(metrics.contains("petal_requests_total{path=\"/predict\",status=\"415\"} 2"), "\(metrics)")
        }
    }

    @Test func concurrentRequestsShareForwardPasses() async throws {
        let fixture = try ServeFixture()
        defer { try? FileManager.default.removeItem(at: fixture.folder) }
        let images = try (0..<16).map { try ServeFixture.png(seed: 10 + $0) }
        let expected = try images.map { try fixture.predicted($0) }
        try await withServer(fixture, { $0.maxWait = .milliseconds(200) }) { base, server in
            let replies = try await withThrowingTaskGroup(of: (Int, Reply).self) { group in
                for (i, png) in images.enumerated() {
                    group.addTask { (i, try await send(base.appendingPathComponent("predict"), contentType: "image/png", body: png)) }
                }
                return try await group.reduce(into: [Int: Reply]()) { $0[$1.0] = $1.1 }
            }
            for (i, want) in expected.enumerated() {
                let p = try #require(replies[i]?.json["probabilities"] as? [String: Double], "request \(i)")
                #expect(abs(p["cat"]! - Double(want[0])) < 1e-5 && abs(p["dog"]! - Double(want[1])) < 1e-5, "request \(i)")
            }
            let statistics = await server.statistics
            #expect(statistics.images == 16)
            #expect(statistics.forwardPasses < 16, "16 requests took \(statistics.forwardPasses) forward passes")
            let metrics = String(decoding: try await send(base.appendingPathComponent("metrics"), method: "GET").body, as: UTF8.self)
            #expect(metrics.contains("petal_batch_size_count \(statistics.forwardPasses)"), "\(metrics)")
        }
    }
}
#endif
