#if Serve
import ArgumentParser
import Foundation
import Petal
import PetalServe
import Synchronization

/// `petal serve`: a checkpoint behind HTTP.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a checkpoint's predictions over HTTP (POST /predict, GET /health, GET /metrics).",
        discussion: """
            POST /predict with a JPEG or PNG body (Content-Type image/jpeg, image/png or application/octet-stream) or a \
            multipart/form-data upload (field `image`) answers {"label": …, "probabilities": {class: p, …}}, the image \
            prepared as `petal predict` prepares it. Requests that arrive together share one forward pass (up to \
            --max-batch images, the first waiting at most --max-wait-ms for others). Bad requests get a 4xx status and \
            {"error": "…"}. GET /metrics is in Prometheus' text format. Ctrl-C or SIGTERM stops after --shutdown-grace seconds more and the requests under way.
            Example: curl -H 'Content-Type: image/jpeg' --data-binary @photo.jpg http://127.0.0.1:8080/predict
            """)

    @Argument(help: "A checkpoint written by petal train.")
    var checkpoint: String

    @Option(help: "Address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 for any free port).")
    var port = 8080

    @Option(help: "Most images in one forward pass.")
    var maxBatch = 16

    @Option(help: "Milliseconds the first request of a batch waits for others.")
    var maxWaitMs = 5

    @Option(help: "Largest request body in bytes.")
    var maxBodyBytes = 20 << 20

    @Option(help: "Largest image in pixels (width × height), refused before decoding.")
    var maxPixels = 40_000_000

    @Option(help: "Most connections open at once; more wait in the listen backlog (default: as many as the file-descriptor limit allows, raised to its hard limit).")
    var maxConnections: Int?

    @Option(help: "Seconds the server goes on answering after Ctrl-C or SIGTERM before it stops accepting, so requests already sent are answered, not reset (a second signal stops at once).")
    var shutdownGrace = 1.0

    @Option(help: "Compute threads (default: all cores).")
    var threads: Int?

    func run() throws {
        try runReportingErrors {
            try applyThreads(threads)
            var settings = ServerSettings()
            (settings.host, settings.port, settings.maxBatch, settings.maxWait) = (host, port, maxBatch, .milliseconds(maxWaitMs))
            (settings.maxBodyBytes, settings.maxPixels, settings.maxConnections) = (maxBodyBytes, maxPixels, maxConnections)
            guard (0...3600).contains(shutdownGrace) else { throw ValidationFailure("--shutdown-grace must be 0 to 3600 seconds, got \(shutdownGrace)") }
            settings.shutdownGrace = .milliseconds(Int64(shutdownGrace * 1000))
            let model = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint))
            let server: PredictionServer
            do { server = try PredictionServer(model: model, settings: settings) } catch let e as ServeError { throw ValidationFailure(e.message) }
            let outcome = Mutex<Error?>(nil)
            let done = DispatchSemaphore(value: 0)
            let (name, classes, host) = (model.model.layerDescription, model.classNames, host)
            Task {
                do {
                    try await server.run { port in
                        say("Serving \(name) (\(classes.joined(separator: ", "))) on http://\(host):\(port): POST /predict, GET /health, GET /metrics")
                    }
                } catch let e as ServeError {
                    outcome.withLock { $0 = ValidationFailure(e.message) }
                } catch { outcome.withLock { $0 = error } }
                done.signal()
            }
            done.wait()
            if let error = outcome.withLock({ $0 }) { throw error }
        }
    }
}
#else
import ArgumentParser

/// `petal serve` in a build without the Serve trait: says how to get it instead of being an unknown subcommand.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a checkpoint's predictions over HTTP (not in this build: it was built without the Serve trait).")

    @Argument(parsing: .allUnrecognized) var ignored: [String] = []

    func run() throws {
        throw ValidationFailure("petal serve: this petal was built without the Serve trait; build it with `swift build --traits Serve` (the default in Petal's own checkout)")
    }
}
#endif
