// What calibration learns about each activation: the extremes it reached and a histogram between them, from which
// each observer chooses the range its 256 codes cover (min-max keeps every value; a percentile drops the rarest
// outliers, which otherwise stretch the step for all the other values).
import Foundation

/// How calibration turns the activations seen on calibration images into the range each activation's codes cover.
public enum CalibrationMethod: String, Codable, CaseIterable, Sendable {
    /// The smallest and largest values seen.
    case minMax = "min-max"
    /// The 0.01st and 99.99th percentiles of the values seen (the extremes for a side that never goes below 0).
    case percentile
    /// The range whose 256 codes lose the least information on the values seen (TensorRT's entropy calibration: the
    /// clipping threshold with the smallest Kullback–Leibler divergence between the histogram and its quantized form).
    case entropy
}

/// One activation's extremes and histogram over calibration batches. Extremes come from a first pass over the batches,
/// the histogram (over those extremes) from a second.
struct ActivationStatistics {
    static let bins = 2048
    private(set) var low = Float.infinity, high = -Float.infinity
    private(set) var histogram: [Double] = []

    mutating func observeExtremes(_ values: UnsafeBufferPointer<Float>) {
        for v in values where v.isFinite {
            low = min(low, v)
            high = max(high, v)
        }
    }

    mutating func observeHistogram(_ values: UnsafeBufferPointer<Float>) {
        if histogram.isEmpty { histogram = [Double](repeating: 0, count: Self.bins) }
        guard high > low else {
            histogram[0] += Double(values.count)
            return
        }
        let perBin = Float(Self.bins) / (high - low)
        for v in values where v.isFinite {
            histogram[min(max(Int((v - low) * perBin), 0), Self.bins - 1)] += 1
        }
    }

    /// The range `method` keeps (always containing 0, as the codes' zero point needs).
    func range(_ method: CalibrationMethod) -> (low: Float, high: Float) {
        guard low <= high else { return (0, 0) }
        switch method {
        case .minMax: return (min(low, 0), max(high, 0))
        case .percentile: return (low < 0 ? value(atFraction: 0.0001) : 0, high > 0 ? value(atFraction: 0.9999) : 0)
        case .entropy: return entropyRange()
        }
    }

    private var binWidth: Float { (high - low) / Float(Self.bins) }

    /// The value below which `fraction` of the observations lie (linear within a bin).
    private func value(atFraction fraction: Double) -> Float {
        guard !histogram.isEmpty, high > low else { return fraction < 0.5 ? low : high }
        let total = histogram.reduce(0, +), target = fraction * total
        var seen = 0.0
        for (i, count) in histogram.enumerated() {
            if seen + count >= target, count > 0 {
                return low + binWidth * (Float(i) + Float((target - seen) / count))
            }
            seen += count
        }
        return high
    }

    /// The upper clipping bound (and the lower one for values with a negative side, clipped in proportion) whose
    /// quantization keeps the histogram closest in Kullback–Leibler divergence, over candidates from 128 bins up.
    private func entropyRange() -> (low: Float, high: Float) {
        guard !histogram.isEmpty, high > low else { return range(.minMax) }
        // Fold onto distances from zero: the bins of |x| (a histogram over [low, high] re-binned from 0).
        let reach = max(abs(low), abs(high)), width = reach / Float(Self.bins)
        var magnitudes = [Double](repeating: 0, count: Self.bins)
        for (i, count) in histogram.enumerated() where count > 0 {
            let centre = abs(low + binWidth * (Float(i) + 0.5))
            magnitudes[min(Int(centre / width), Self.bins - 1)] += count
        }
        let levels = low < 0 ? 128 : 256  // a signed range spends half its codes on each side
        var best = (divergence: Double.infinity, bins: Self.bins)
        for cut in stride(from: levels, through: Self.bins, by: 16) {
            let kept = Array(magnitudes[0..<cut])
            var reference = kept
            reference[cut - 1] += magnitudes[cut...].reduce(0, +)  // clipped values land on the edge
            let divergence = Self.klDivergence(reference, Self.quantized(kept, into: levels))
            if divergence < best.divergence { best = (divergence, cut) }
        }
        let threshold = width * Float(best.bins)
        return (low < 0 ? max(low, -threshold) : 0, high > 0 ? min(high, threshold) : 0)
    }

    /// `p` as `levels` codes see it: each of `levels` groups of bins holds its mass spread evenly over its non-empty bins.
    static func quantized(_ p: [Double], into levels: Int) -> [Double] {
        var q = [Double](repeating: 0, count: p.count)
        for level in 0..<levels {
            let start = level * p.count / levels, end = (level + 1) * p.count / levels
            let nonEmpty = p[start..<end].filter { $0 > 0 }.count
            guard nonEmpty > 0 else { continue }
            let share = p[start..<end].reduce(0, +) / Double(nonEmpty)
            for i in start..<end where p[i] > 0 { q[i] = share }
        }
        return q
    }

    /// KL(p ‖ q) of the two histograms, each normalised (bins where q is empty and p is not count as q = 1e-12 of the mass).
    static func klDivergence(_ p: [Double], _ q: [Double]) -> Double {
        let (pTotal, qTotal) = (p.reduce(0, +), q.reduce(0, +))
        guard pTotal > 0, qTotal > 0 else { return 0 }
        var divergence = 0.0
        for i in p.indices where p[i] > 0 {
            divergence += p[i] / pTotal * log((p[i] / pTotal) / max(q[i] / qTotal, 1e-12))
        }
        return divergence
    }
}
