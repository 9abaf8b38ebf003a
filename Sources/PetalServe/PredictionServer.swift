#if Serve
// `petal serve`: a trained model behind HTTP on Hummingbird. POST /predict takes one image (raw body or multipart form)
// and answers its label and class probabilities as JSON; POST /explain adds the crop the model saw and a Grad-CAM
// overlay (PNG data URLs); GET / is a page to try the model in a browser (TryPage.swift); GET /health says the model is loaded; GET /metrics gives
// Prometheus counters and histograms (requests by status, latency, batch sizes). Images are prepared exactly as
// `petal predict` prepares them, and concurrent requests share forward passes (BatchingPredictor).
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals
import PetalData
import PetalNN
import PetalImage
import PetalRun

/// How the server listens and batches.
public struct ServerSettings: Sendable, Equatable {
    /// The address to bind (loopback by default; `0.0.0.0` for every interface).
    public var host = "127.0.0.1"
    /// The port (0 for any free one, which `onReady` is told).
    public var port = 8080
    /// Most images in one forward pass.
    public var maxBatch = 16
    /// How long the first request of a batch waits for others.
    public var maxWait: Duration = .milliseconds(5)
    /// Largest request body accepted, checked before reading it.
    public var maxBodyBytes = 20 << 20
    /// Largest image accepted (width × height), checked from the image's header before decoding (decompression bombs).
    public var maxPixels = 40_000_000
    /// Seconds a connection may stay idle.
    public var idleTimeoutSeconds: Int64 = 30
    /// Most connections open at once; nil for as many as the process's file-descriptor limit allows (raised to its hard
    /// limit when the server starts). Clients beyond it wait in the listen backlog.
    public var maxConnections: Int?
    /// How long the server goes on accepting and answering after SIGINT or SIGTERM before it stops taking requests
    /// (then it finishes those under way and exits). Requests already sent when the signal comes, still in the listen
    /// backlog or unread on their connections, are answered instead of reset; a second signal ends the wait at once.
    /// Traefik's `requestAcceptGraceTimeout` does the same.
    public var shutdownGrace: Duration = .seconds(1)

    public init() {}
}

/// Serves one trained model over HTTP.
public final class PredictionServer: Sendable {
    /// The settings the server runs with.
    public let settings: ServerSettings
    private let classes: [String], data: DataConfig, description: String
    private let predictor: BatchingPredictor
    private let explainer: Explainer
    private let page: String
    private let metrics = ServerMetrics()
    /// Prediction requests received and not yet answered.
    private let inServer = Atomic<Int>(0)

    /// - Throws: ``ServeError`` for settings out of range.
    public init(model: TrainedModel, settings: ServerSettings = ServerSettings()) throws {
        guard (1...1024).contains(settings.maxBatch) else { throw ServeError(0, "--max-batch must be 1 to 1024, got \(settings.maxBatch)") }
        guard settings.maxWait >= .zero else { throw ServeError(0, "--max-wait-ms must not be negative, got \(settings.maxWait)") }
        guard settings.maxBodyBytes > 0 else { throw ServeError(0, "--max-body-bytes must be positive, got \(settings.maxBodyBytes)") }
        guard settings.maxPixels > 0 else { throw ServeError(0, "--max-pixels must be positive, got \(settings.maxPixels)") }
        guard settings.shutdownGrace >= .zero, settings.shutdownGrace <= .seconds(3600) else {
            throw ServeError(0, "--shutdown-grace must be 0 to 3600 seconds, got \(settings.shutdownGrace)")
        }
        guard (0...65535).contains(settings.port) else { throw ServeError(0, "--port must be 0 to 65535, got \(settings.port)") }
        guard settings.idleTimeoutSeconds > 0 else { throw ServeError(0, "the idle timeout must be positive, got \(settings.idleTimeoutSeconds) s") }
        (self.settings, classes, data, description) = (settings, model.classNames, model.data, model.model.layerDescription)
        let precision = model.quantized != nil ? "int8" : model.model.namedModules.compactMap { ($0.module as? Conv2D)?.settings.precision }.first?.rawValue ?? "fp32"
        (explainer, page) = (Explainer(model), TryPage.html(model: description, precision: precision, classes: model.classNames,
                                                            crop: [model.data.cropHeight, model.data.cropWidth], maxBodyBytes: settings.maxBodyBytes))
        let metrics = self.metrics
        predictor = BatchingPredictor(model: ServedModel(model.inference), maxBatch: settings.maxBatch, maxWait: settings.maxWait) {
            metrics.forwardPass(images: $0, duration: $1)
        }
    }

    /// Forward passes run so far and the images they held.
    public var statistics: (forwardPasses: Int, images: Int) {
        get async { (await predictor.forwardPasses, await predictor.imagesPredicted) }
    }

    /// Runs until the task is cancelled or the process gets SIGINT/SIGTERM: then it answers for
    /// ``ServerSettings/shutdownGrace`` more, stops accepting, finishes the requests under way and returns.
    /// - Parameter onReady: called with the port once the server listens.
    public func run(onReady: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router(context: ServeContext.self)
        router.post("predict") { request, context in await self.predict(request, explaining: false, closeConnection: context.closeConnection) }
        router.post("explain") { request, context in await self.predict(request, explaining: true, closeConnection: context.closeConnection) }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: self.page)))
        }
        router.get("health") { _, _ in self.json(200, ["status": "ok", "model": self.description, "classes": self.classes.joined(separator: ",")]) }
        router.head("health") { _, _ in Response(status: .ok) }  // load balancers probe with HEAD
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }
        try ListenAddress.check(host: settings.host, port: settings.port)
        let connections = try ConnectionLimit.allowed(requested: settings.maxConnections)
        try await predictor.warmUp(inputShape: [3, data.cropHeight, data.cropWidth])
        defer {
            predictor.stop()
            explainer.stop()
        }
        var logger = Logger(label: "petal.serve")
        logger.logLevel = .warning
        let app = Application(router: router, server: .http1(configuration: .init(idleTimeout: .seconds(settings.idleTimeoutSeconds))),
                              configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "petal",
                                                   availableConnectionsDelegate: MaximumAvailableConnections(connections)),
                              onServerRunning: { channel in await onReady(channel.localAddress?.port ?? self.settings.port) }, logger: logger)
        // Hummingbird's own signal handling stops accepting at once, which resets the connections that were sent but not
        // yet accepted or read: the first signal starts the grace period instead.
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let grace = settings.shutdownGrace
        // Trapped before the server listens, so that no signal falls between the two.
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                var stopping: Task<Void, Never>?
                for await _ in signals {
                    guard stopping == nil else { await group.triggerGracefulShutdown(); continue }  // a second signal: at once
                    stopping = Task {
                        try? await Task.sleep(for: grace)
                        await group.triggerGracefulShutdown()
                    }
                }
                stopping?.cancel()
            }
            try await group.run()
            tasks.cancelAll()
        }
    }

    /// One prediction request: read, decode and prepare the image, predict in a batch, answer; `explaining` adds the
    /// crop and the Grad-CAM overlay as PNG data URLs.
    private func predict(_ request: Request, explaining: Bool, closeConnection: @escaping @Sendable () -> Void) async -> Response {
        let start = ContinuousClock.now
        let response: Response
        let others = inServer.add(1, ordering: .relaxed).newValue - 1
        defer { inServer.subtract(1, ordering: .relaxed) }
        do {
            let bytes = try await RequestImage.bytes(of: request, limit: settings.maxBodyBytes)
            let input: Tensor
            do {
                let image = try ImageCodec.decode(bytes, source: "the uploaded image", options: DecodeOptions(channels: .rgb, maxPixels: settings.maxPixels))
                input = try ImageInput.tensor(image: image, config: data)
            } catch { throw ServeError.image(error) }
            let p = try await predictor.predict(input, othersInServer: others)
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            struct Answer: Encodable { let label: String; let probabilities: [String: Float]; var crop: String?; var gradcam: String? }
            var answer = Answer(label: classes[best], probabilities: Dictionary(uniqueKeysWithValues: zip(classes, p)))
            if explaining {
                let (crop, cam) = try await explainer.pictures(of: input, label: best)
                (answer.crop, answer.gradcam) = ("data:image/png;base64," + Data(crop).base64EncodedString(), "data:image/png;base64," + Data(cam).base64EncodedString())
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(answer)
            response = Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        } catch let e as ServeError where e.closesConnection {
            // The body was left unread, so the connection cannot carry another request: answer, then close it.
            let body = ByteBuffer(string: e.body)
            response = Response(status: .init(code: e.status), headers: [.contentType: "application/json", .connection: "close"],
                                body: .init(contentLength: body.readableBytes) { writer in
                                    try await writer.write(body)
                                    try await writer.finish(nil as HTTPFields?)
                                    closeConnection()
                                })
        } catch let e as ServeError {
            response = Response(status: .init(code: e.status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: e.body)))
        } catch {
            let e = ServeError(500, "prediction failed: \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
            response = Response(status: .internalServerError, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: e.body)))
        }
        metrics.answered(status: Int(response.status.code), after: ContinuousClock.now - start)
        return response
    }

    private func json(_ status: Int, _ fields: [String: String]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = (try? encoder.encode(fields)) ?? Data("{}".utf8)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
/// The request context of `petal serve`: Hummingbird's, and a way to close the request's connection (which an answer
/// that leaves a body unread does).
struct ServeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let closeConnection: @Sendable () -> Void

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        let channel = source.channel
        closeConnection = { channel.close(promise: nil) }
    }
}
#endif
