// The server's Prometheus metrics (swift-prometheus): requests by status, request latency, errors, batch sizes and
// forward-pass times. Every metric is always made with the same help text (the registry requires it).
import Prometheus

final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { .milliseconds($0) }

    /// Records an answered prediction request.
    func answered(status: Int, after duration: Duration) {
        registry.makeCounter(name: "petal_requests_total", labels: [("path", "/predict"), ("status", String(status))],
                             help: "Prediction requests answered, by status.").increment()
        registry.makeDurationHistogram(name: "petal_request_seconds", labels: [("path", "/predict")], buckets: Self.latencyBuckets,
                                       help: "Time from a prediction request's arrival to its answer.").record(duration)
        if status >= 400 {
            registry.makeCounter(name: "petal_request_errors_total", labels: [("path", "/predict")], help: "Prediction requests refused or failed.").increment()
        }
    }

    /// Records one forward pass of `images` images.
    func forwardPass(images: Int, duration: Duration) {
        registry.makeValueHistogram(name: "petal_batch_size", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
                                    help: "Images per forward pass.").record(Double(images))
        registry.makeDurationHistogram(name: "petal_forward_pass_seconds", buckets: Self.latencyBuckets,
                                       help: "Time of each batched forward pass.").record(duration)
    }

    /// The Prometheus text exposition.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
