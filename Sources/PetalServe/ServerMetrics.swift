#if Serve
// The server's Prometheus metrics (swift-prometheus): requests by status, request latency, errors, batch sizes and
// forward-pass times. Every metric is always made with the same help text (the registry requires it).
import Prometheus

final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].map { .milliseconds($0) }

    /// Records an answered prediction request.
    func answered(status: Int, after duration: Duration) {
        registry.makeCounter(descriptor: Self.metric("petal_requests", "total", "Prediction requests answered, by status."),
                             labels: [("path", "/predict"), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: Self.metric("petal_request", "seconds", "Time from a prediction request's arrival to its answer."),
                                       labels: [("path", "/predict")], buckets: Self.latencyBuckets).record(duration)
        if status >= 400 {
            registry.makeCounter(descriptor: Self.metric("petal_request_errors", "total", "Prediction requests refused or failed."),
                                 labels: [("path", "/predict")]).increment()
        }
    }

    /// Records one forward pass of `images` images.
    func forwardPass(images: Int, duration: Duration) {
        registry.makeValueHistogram(descriptor: Self.metric("petal_batch", "size", "Images per forward pass."),
                                    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]).record(Double(images))
        registry.makeDurationHistogram(descriptor: Self.metric("petal_forward_pass", "seconds", "Time of each batched forward pass."),
                                       buckets: Self.latencyBuckets).record(duration)
    }

    /// A metric named `base_unit`.
    private static func metric(_ base: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: base, unitName: unit, helpText: help)
    }

    /// The Prometheus text exposition.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
#endif
