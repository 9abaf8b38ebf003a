// TensorBoard's events in Swift terms: a step and wall time with tagged scalars, images and histograms, converted to and
// from the `Event`/`Summary` protobufs (swift-protobuf code generated from TensorBoard's own schema).
import Foundation
import SwiftProtobuf

/// A histogram as TensorBoard stores it: buckets given by their right edges.
public struct TensorBoardHistogram: Equatable, Sendable {
    public var minimum: Double, maximum: Double, count: Double, sum: Double, sumOfSquares: Double
    /// Each bucket's right edge, increasing, and the number of values in it (values in (edge[i − 1], edge[i]]).
    public var bucketLimits: [Double], bucketCounts: [Double]

    public init(minimum: Double, maximum: Double, count: Double, sum: Double, sumOfSquares: Double, bucketLimits: [Double], bucketCounts: [Double]) {
        (self.minimum, self.maximum, self.count, self.sum, self.sumOfSquares) = (minimum, maximum, count, sum, sumOfSquares)
        (self.bucketLimits, self.bucketCounts) = (bucketLimits, bucketCounts)
    }

    /// The histogram of `values` in `buckets` equal buckets between their minimum and maximum.
    public init(values: [Float], buckets: Int = 30) {
        let finite = values.filter(\.isFinite).map(Double.init)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 0
        let n = max(buckets, 1), width = hi > lo ? (hi - lo) / Double(n) : 1
        var counts = [Double](repeating: 0, count: n)
        // TensorBoard's buckets hold (previous edge, edge]; the minimum goes in the first.
        for v in finite { counts[min(max(Int(((v - lo) / width).rounded(.up)) - 1, 0), n - 1)] += 1 }
        self.init(minimum: lo, maximum: hi, count: Double(finite.count), sum: finite.reduce(0, +), sumOfSquares: finite.reduce(0) { $0 + $1 * $1 },
                  bucketLimits: (1...n).map { i in i == n ? hi : lo + Double(i) * width }, bucketCounts: counts)
    }
}

/// One entry of an event's summary.
public enum TensorBoardValue: Equatable, Sendable {
    /// A number (TensorBoard's Scalars tab); read from `simple_value` or from a scalar tensor of the scalars plugin.
    case scalar(Float)
    /// An encoded image (PNG or JPEG) and its size (the Images tab).
    case image(encoded: Data, width: Int, height: Int, channels: Int)
    /// A histogram (the Histograms and Distributions tabs).
    case histogram(TensorBoardHistogram)
    /// Anything else (text, audio, other plugins' tensors), kept only as its kind.
    case other(String)
}

/// One event of a TensorBoard event file.
public struct TensorBoardEvent: Equatable, Sendable {
    /// Seconds since 1970.
    public var wallTime: Double
    /// The training step (Petal: the epoch for epoch logs, the global batch index for batch logs).
    public var step: Int
    /// The file's format version, on the first event only (`brain.Event:2`).
    public var fileVersion: String?
    /// The tagged values, in order.
    public var values: [Tagged]
    /// A session-start marker (`session_log { status: START }`): TensorBoard then drops the events of earlier files in the
    /// folder at this step or later, which a resumed training writes again.
    public var sessionStart = false

    /// A value and its tag (the chart it belongs to).
    public struct Tagged: Equatable, Sendable {
        public var tag: String
        public var value: TensorBoardValue
        public init(_ tag: String, _ value: TensorBoardValue) { (self.tag, self.value) = (tag, value) }
    }

    public init(wallTime: Double, step: Int, fileVersion: String? = nil, values: [Tagged] = [], sessionStart: Bool = false) {
        (self.wallTime, self.step, self.fileVersion, self.values, self.sessionStart) = (wallTime, step, fileVersion, values, sessionStart)
    }

    /// The event's protobuf bytes.
    func encoded() throws -> Data {
        var e = Tensorboard_Event()
        (e.wallTime, e.step) = (wallTime, Int64(step))
        if let fileVersion { e.fileVersion = fileVersion }
        if sessionStart { e.sessionLog.status = .start }
        if !values.isEmpty {
            e.summary.value = values.map { tagged in
                var v = Tensorboard_Summary.Value()
                v.tag = tagged.tag
                switch tagged.value {
                case .scalar(let x): v.simpleValue = x
                case .image(let data, let w, let h, let c):
                    var image = Tensorboard_Summary.Image()
                    (image.encodedImageString, image.width, image.height, image.colorspace) = (data, Int32(w), Int32(h), Int32(c))
                    v.image = image
                case .histogram(let h):
                    var p = Tensorboard_HistogramProto()
                    (p.min, p.max, p.num, p.sum, p.sumSquares, p.bucketLimit, p.bucket) = (h.minimum, h.maximum, h.count, h.sum, h.sumOfSquares, h.bucketLimits, h.bucketCounts)
                    v.histo = p
                case .other: break
                }
                return v
            }
        }
        return try e.serializedBytes()
    }

    /// The event in a record's bytes.
    init(decoding data: Data, path: String) throws {
        let e: Tensorboard_Event
        do { e = try Tensorboard_Event(serializedBytes: data) } catch {
            throw TensorBoardError.damaged(path: path, reason: "a record is not an Event message (\(error))")
        }
        wallTime = e.wallTime
        step = Int(e.step)
        if case .fileVersion(let v)? = e.what { fileVersion = v }
        if case .sessionLog(let log)? = e.what, log.status == .start { sessionStart = true }
        values = e.summary.value.map { v in
            switch v.value {
            case .simpleValue(let x)?: return Tagged(v.tag, .scalar(x))
            case .image(let i)?: return Tagged(v.tag, .image(encoded: i.encodedImageString, width: Int(i.width), height: Int(i.height), channels: Int(i.colorspace)))
            case .histo(let p)?:
                return Tagged(v.tag, .histogram(TensorBoardHistogram(minimum: p.min, maximum: p.max, count: p.num, sum: p.sum, sumOfSquares: p.sumSquares,
                                                                     bucketLimits: p.bucketLimit, bucketCounts: p.bucket)))
            case .tensor(let t)? where v.metadata.pluginData.pluginName == "scalars" && t.dtype == .dtFloat:
                // TensorBoard's own scalar summaries: a 0-d float tensor, its value in float_val or tensor_content.
                let x = t.floatVal.first ?? t.tensorContent.withUnsafeBytes { $0.count >= 4 ? $0.loadUnaligned(as: Float.self) : .nan }
                return Tagged(v.tag, .scalar(x))
            case let other?: return Tagged(v.tag, .other("\(other)".prefix { $0 != "(" }.description))
            case nil: return Tagged(v.tag, .other("empty"))
            }
        }
    }

    /// A record's bytes decoded and encoded again through the protobuf message, unknown fields included: equal to the
    /// record for any file TensorBoard's writer made (what the tests check).
    static func reencoded(_ data: Data) throws -> Data {
        try Tensorboard_Event(serializedBytes: data).serializedBytes()
    }
}
