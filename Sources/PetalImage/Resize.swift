// Resizing. Bilinear follows scikit-image's `resize(order=1, mode='edge', anti_aliasing=False)`:
// pixel centres are aligned (source = (dst + 0.5) · in/out − 0.5) and the edge pixel repeats.
// Area averaging (for shrinking) weights every source pixel by its overlap with the destination pixel's
// footprint, like OpenCV's INTER_AREA; for integer factors it equals scikit-image's `downscale_local_mean`.
// Both are separable: one pass along rows, one along columns, with precomputed (index, weight) lists.

/// How ``Image/resized(height:width:method:)`` samples.
public enum ResizeMethod: Sendable, Equatable {
    /// Bilinear interpolation (good for enlarging and mild shrinking).
    case bilinear
    /// Box average over the covered source area (shrinking without aliasing); bilinear when enlarging.
    case area
}

extension Image where Pixel == Float {
    /// The image resampled to `height × width`.
    /// - Parameters:
    ///   - height: output rows (≥ 1).
    ///   - width: output columns (≥ 1).
    ///   - method: `.bilinear` (default) or `.area`.
    public func resized(height outH: Int, width outW: Int, method: ResizeMethod = .bilinear) -> Image<Float> {
        precondition(outH > 0 && outW > 0, "resize target must be positive, got \(outH)×\(outW)")
        let rowWeights = resampleWeights(from: height, to: outH, method: method)
        let colWeights = resampleWeights(from: width, to: outW, method: method)
        // Columns first (height × outW), then rows.
        var mid = [Float](repeating: 0, count: height * outW * channels)
        for y in 0..<height {
            for (x, taps) in colWeights.enumerated() {
                for c in 0..<channels {
                    var acc: Float = 0
                    for (i, w) in taps { acc += w * pixels[(y * width + i) * channels + c] }
                    mid[(y * outW + x) * channels + c] = acc
                }
            }
        }
        var out = [Float](repeating: 0, count: outH * outW * channels)
        let rowLength = outW * channels
        for (y, taps) in rowWeights.enumerated() {
            for (i, w) in taps {
                for k in 0..<rowLength { out[y * rowLength + k] += w * mid[i * rowLength + k] }
            }
        }
        return Image(unchecked: out, height: outH, width: outW, channels: channels)
    }
}

extension Image where Pixel == UInt8 {
    /// The image resampled to `height × width` (computed in Float, rounded back to 8 bits).
    public func resized(height: Int, width: Int, method: ResizeMethod = .bilinear) -> Image<UInt8> {
        mapPixels { Float($0) / 255 }.resized(height: height, width: width, method: method).toBytes()
    }
}

/// For each output index, the source indices and weights that make it.
func resampleWeights(from n: Int, to m: Int, method: ResizeMethod) -> [[(Int, Float)]] {
    let scale = Double(n) / Double(m)
    if method == .area && m < n {
        return (0..<m).map { j in
            let start = Double(j) * scale, end = Double(j + 1) * scale
            var taps: [(Int, Float)] = []
            var i = Int(start.rounded(.down))
            while Double(i) < end && i < n {
                let overlap = min(end, Double(i + 1)) - max(start, Double(i))
                if overlap > 1e-12 { taps.append((i, Float(overlap / scale))) }
                i += 1
            }
            return taps
        }
    }
    return (0..<m).map { j in
        let s = min(max((Double(j) + 0.5) * scale - 0.5, 0), Double(n - 1))
        let i0 = Int(s.rounded(.down)), i1 = min(i0 + 1, n - 1)
        let t = Float(s - Double(i0))
        return t == 0 ? [(i0, Float(1))] : [(i0, 1 - t), (i1, t)]
    }
}
