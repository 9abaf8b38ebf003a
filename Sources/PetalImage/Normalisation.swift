// Intensity normalisation: /255, min–max to [0, 1], and percentile (p5–p95 by default) scaling with clipping.
// The tutorial writes `img - min / max - min` and `img - p5 / p95 - p5`; what it means, and what is
// implemented, is `(img − min) / (max − min)` and `clip((img − p5) / (p95 − p5), 0, 1)`.
// Percentiles use numpy's default linear interpolation between order statistics.

/// A normalisation rule.
public enum Normalisation: Sendable, Equatable {
    /// `(v − min) / (max − min)`: the range becomes exactly [0, 1].
    case minMax
    /// `clip((v − p_low) / (p_high − p_low), 0, 1)`, with percentiles as in `numpy.percentile`.
    case percentile(low: Double, high: Double)

    /// The tutorial's p5–p95 scaling.
    public static let percentile5to95 = Normalisation.percentile(low: 5, high: 95)
}

/// Whether statistics are taken over the whole image or over each channel separately.
public enum NormalisationScope: Sendable, Equatable {
    case image
    case channel
}

extension Image where Pixel == Float {
    /// The image rescaled by `method`, with statistics per image or per channel.
    /// A constant image (or channel) maps to 0, instead of dividing by zero.
    public func normalised(_ method: Normalisation, per scope: NormalisationScope = .image) -> Image<Float> {
        var out = pixels
        let groups: [[Int]] = scope == .image || channels == 1 ? [Array(0..<channels)] : (0..<channels).map { [$0] }
        for group in groups {
            let values = group.count == channels ? pixels : group.flatMap { channel($0).pixels }
            let (lo, hi): (Double, Double)
            var clip = false
            switch method {
            case .minMax:
                lo = Double(values.min()!); hi = Double(values.max()!)
            case .percentile(let low, let high):
                precondition(0 <= low && low < high && high <= 100, "percentiles must satisfy 0 ≤ low < high ≤ 100")
                let sorted = values.sorted()
                lo = percentileOfSorted(sorted, low); hi = percentileOfSorted(sorted, high)
                clip = true
            }
            let scale = hi > lo ? 1 / (hi - lo) : 0
            for c in group {
                for i in stride(from: c, to: out.count, by: channels) {
                    var v = (Double(pixels[i]) - lo) * scale
                    if clip { v = Swift.min(Swift.max(v, 0), 1) }
                    out[i] = Float(v)
                }
            }
        }
        return Image(unchecked: out, height: height, width: width, channels: channels)
    }

    /// The `p`-th percentile (0…100) of one channel, or of all values when `channel` is nil.
    public func percentile(_ p: Double, channel: Int? = nil) -> Double {
        let values = channel.map { self.channel($0).pixels } ?? pixels
        return percentileOfSorted(values.sorted(), p)
    }
}

extension Image where Pixel == UInt8 {
    /// Values divided by 255 (the same as ``toFloat()``).
    public func normalisedBy255() -> Image<Float> { toFloat() }

    /// The image rescaled by `method` into [0, 1]; statistics are taken on the 0…255 values,
    /// so the result does not depend on a previous /255. Percentiles come from a 256-bin histogram (no sort).
    public func normalised(_ method: Normalisation, per scope: NormalisationScope = .image) -> Image<Float> {
        let groups: [[Int]] = scope == .image || channels == 1 ? [Array(0..<channels)] : (0..<channels).map { [$0] }
        var out = [Float](repeating: 0, count: pixels.count)
        for group in groups {
            let counts = histogram(channels: group)
            let lo: Double, hi: Double, clip: Bool
            switch method {
            case .minMax:
                lo = Double(counts.firstIndex { $0 > 0 }!); hi = Double(counts.lastIndex { $0 > 0 }!); clip = false
            case .percentile(let low, let high):
                precondition(0 <= low && low < high && high <= 100, "percentiles must satisfy 0 ≤ low < high ≤ 100")
                lo = percentileOfHistogram(counts, low); hi = percentileOfHistogram(counts, high); clip = true
            }
            let scale = hi > lo ? 1 / (hi - lo) : 0
            // One lookup table per group: 256 divisions instead of one per pixel.
            let table: [Float] = (0..<256).map { v in
                let x = (Double(v) - lo) * scale
                return Float(clip ? Swift.min(Swift.max(x, 0), 1) : x)
            }
            for c in group {
                for i in stride(from: c, to: pixels.count, by: channels) { out[i] = table[Int(pixels[i])] }
            }
        }
        return Image<Float>(unchecked: out, height: height, width: width, channels: channels)
    }

    /// The `p`-th percentile (0…100) of one channel, or of all values when `channel` is nil (`numpy.percentile`).
    public func percentile(_ p: Double, channel: Int? = nil) -> Double {
        percentileOfHistogram(histogram(channels: channel.map { [$0] } ?? Array(0..<channels)), p)
    }

    private func histogram(channels group: [Int]) -> [Int] {
        var counts = [Int](repeating: 0, count: 256)
        for c in group {
            for i in stride(from: c, to: pixels.count, by: channels) { counts[Int(pixels[i])] += 1 }
        }
        return counts
    }
}

/// numpy's 'linear' percentile from a histogram of integer values 0…255.
func percentileOfHistogram(_ counts: [Int], _ p: Double) -> Double {
    let n = counts.reduce(0, +)
    precondition(n > 0)
    let position = p / 100 * Double(n - 1)
    let below = Int(position.rounded(.down)), above = Swift.min(below + 1, n - 1)
    func orderStatistic(_ k: Int) -> Double {
        var seen = 0
        for (v, c) in counts.enumerated() { seen += c; if seen > k { return Double(v) } }
        return 255
    }
    let a = orderStatistic(below), b = orderStatistic(above), t = position - Double(below)
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
}

/// numpy's 'linear' percentile of sorted values: interpolate between the order statistics around p/100 · (n − 1).
func percentileOfSorted(_ sorted: [Float], _ p: Double) -> Double {
    precondition(!sorted.isEmpty)
    let position = p / 100 * Double(sorted.count - 1)
    let below = Int(position.rounded(.down)), above = Swift.min(below + 1, sorted.count - 1)
    let t = position - Double(below)
    let a = Double(sorted[below]), b = Double(sorted[above])
    // numpy's _lerp: a + (b − a)·t, computed from the nearer end for t ≥ 0.5.
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
}
