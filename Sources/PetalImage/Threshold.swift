// Fixed thresholds and Otsu's method (N. Otsu, "A threshold selection method from gray-level histograms",
// IEEE Trans. SMC 9(1), 1979), following scikit-image's `threshold_otsu`: integer images use one bin per
// integer value, float images 256 equal bins between their minimum and maximum; the threshold is the
// centre of the bin that maximises the between-class variance, and the mask is `image > threshold`.

extension Image where Pixel == UInt8 {
    /// `true` where the channel's value is greater than `threshold` (`image[..., channel] > threshold`).
    /// - Parameters:
    ///   - threshold: values above it are set.
    ///   - channel: the channel to test (0 for grey; 0, 1, 2 for R, G, B).
    public func thresholded(above threshold: UInt8, channel: Int = 0) -> Image<Bool> {
        precondition(channel >= 0 && channel < channels, "channel \(channel) out of range 0..<\(channels)")
        var out = [Bool](repeating: false, count: pixelCount)
        pixels.withUnsafeBufferPointer { src in
            for i in 0..<pixelCount { out[i] = src[i * channels + channel] > threshold }
        }
        return Image<Bool>(unchecked: out, height: height, width: width, channels: 1)
    }

    /// Otsu's threshold of one channel, on the integer histogram (scikit-image's `threshold_otsu` of a uint8 array).
    /// A constant channel returns its value.
    public func otsuThreshold(channel: Int = 0) -> UInt8 {
        precondition(channel >= 0 && channel < channels, "channel \(channel) out of range 0..<\(channels)")
        var counts = [Double](repeating: 0, count: 256)
        for i in 0..<pixelCount { counts[Int(pixels[i * channels + channel])] += 1 }
        let lo = counts.firstIndex { $0 > 0 }!, hi = counts.lastIndex { $0 > 0 }!
        if lo == hi { return UInt8(lo) }
        let index = otsuIndex(counts: Array(counts[lo...hi]), centres: (lo...hi).map(Double.init))
        return UInt8(lo + index)
    }
}

extension Image where Pixel == Float {
    /// `true` where the channel's value is greater than `threshold`.
    public func thresholded(above threshold: Float, channel: Int = 0) -> Image<Bool> {
        precondition(channel >= 0 && channel < channels, "channel \(channel) out of range 0..<\(channels)")
        var out = [Bool](repeating: false, count: pixelCount)
        pixels.withUnsafeBufferPointer { src in
            for i in 0..<pixelCount { out[i] = src[i * channels + channel] > threshold }
        }
        return Image<Bool>(unchecked: out, height: height, width: width, channels: 1)
    }

    /// Otsu's threshold of one channel with `bins` equal bins over the value range
    /// (scikit-image's `threshold_otsu` of a float array, binned as `numpy.histogram` does).
    /// A constant channel returns its value.
    public func otsuThreshold(channel: Int = 0, bins: Int = 256) -> Float {
        precondition(channel >= 0 && channel < channels, "channel \(channel) out of range 0..<\(channels)")
        precondition(bins >= 2, "Otsu needs at least 2 bins")
        var lo = Double.infinity, hi = -Double.infinity
        for i in 0..<pixelCount {
            let v = Double(pixels[i * channels + channel])
            lo = Swift.min(lo, v); hi = Swift.max(hi, v)
        }
        if lo == hi { return Float(lo) }
        // numpy.histogram's uniform-bin rule: edges = linspace(lo, hi, bins + 1), the last bin closed.
        let step = (hi - lo) / Double(bins)
        let edges = (0...bins).map { $0 == bins ? hi : lo + Double($0) * step }
        let norm = Double(bins) / (hi - lo)
        var counts = [Double](repeating: 0, count: bins)
        for i in 0..<pixelCount {
            let v = Double(pixels[i * channels + channel])
            var k = Swift.min(Int((v - lo) * norm), bins - 1)
            if v < edges[k] { k -= 1 } else if k < bins - 1 && v >= edges[k + 1] { k += 1 }
            counts[k] += 1
        }
        let centres = (0..<bins).map { (edges[$0] + edges[$0 + 1]) / 2 }
        return Float(centres[otsuIndex(counts: counts, centres: centres)])
    }
}

/// Index of the bin maximising the between-class variance `w1 · w2 · (m1 − m2)²` (first maximum wins, like `argmax`).
func otsuIndex(counts: [Double], centres: [Double]) -> Int {
    let n = counts.count
    var w1 = [Double](repeating: 0, count: n), s1 = [Double](repeating: 0, count: n)
    var w = 0.0, s = 0.0
    for i in 0..<n { w += counts[i]; s += counts[i] * centres[i]; w1[i] = w; s1[i] = s }
    var w2 = [Double](repeating: 0, count: n), s2 = [Double](repeating: 0, count: n)
    w = 0; s = 0
    for i in stride(from: n - 1, through: 0, by: -1) { w += counts[i]; s += counts[i] * centres[i]; w2[i] = w; s2[i] = s }
    var best = 0, bestValue = -Double.infinity
    for i in 0..<(n - 1) {
        let m1 = s1[i] / w1[i], m2 = s2[i + 1] / w2[i + 1]
        let v = w1[i] * w2[i + 1] * (m1 - m2) * (m1 - m2)
        // NaN (an empty class) never wins, as in numpy's argmax over such entries it would; skip it.
        if v > bestValue { bestValue = v; best = i }
    }
    return best
}
