// Inverse-mapped warping, as scikit-image's `warp(image, inverse_map)`: each output pixel (x = column,
// y = row) samples the input at inverse_map(x, y). Bilinear sampling (order 1) follows skimage's
// `_warp_fast` (floor/ceil neighbours; a neighbour outside the image takes the border rule, so with a
// constant border it contributes `cval`); nearest (order 0) rounds half up, as scipy's `map_coordinates`.
// Border names are numpy.pad's, as in scikit-image: `.symmetric` is Keras/scipy 'reflect'
// (d c b a | a b c d), `.reflect` is scipy 'mirror' (d c b | a b c d), `.edge` is Keras 'nearest'.
//
// The kernel walks each output row with incremental source coordinates and a branch-free interior
// path; only pixels whose 2 × 2 neighbourhood crosses the border go through the border rule.

/// Sampling for ``Image/warped(inverseMap:outputHeight:outputWidth:interpolation:border:)``.
public enum Interpolation: Sendable, Equatable {
    /// Nearest neighbour (scikit-image order 0).
    case nearest
    /// Bilinear (scikit-image order 1).
    case bilinear
}

/// What a warp samples outside the input image.
public enum WarpBorder: Sendable, Equatable {
    /// A constant value (Keras 'constant' with `cval`).
    case constant(Float)
    /// The edge pixel repeated (Keras 'nearest').
    case edge
    /// Mirror including the edge pixel, d c b a | a b c d (Keras/scipy 'reflect').
    case symmetric
    /// Mirror about the edge pixel, d c b | a b c d (numpy/scikit-image 'reflect').
    case reflect
    /// Periodic (Keras 'wrap').
    case wrap

    var padRule: PadRule<Float> {
        switch self {
        case .constant(let v): return .constant(v)
        case .edge: return .nearest
        case .symmetric: return .reflect
        case .reflect: return .mirror
        case .wrap: return .wrap
        }
    }
}

/// Memory layout of a warp's destination buffer.
public enum PixelLayout: Sendable, Equatable {
    /// (y, x, c), as ``Image`` stores pixels.
    case interleaved
    /// (c, y, x): one plane per channel, the NCHW layout a tensor batch wants.
    case planar
}

extension Image where Pixel == Float {
    /// The image warped by an inverse map (scikit-image's `warp(image, inverse_map)`).
    /// - Parameters:
    ///   - inverseMap: maps output (x, y) to input (x, y); for a transform that moves the picture, pass its `.inverse`
    ///     (or use ``warped(by:outputHeight:outputWidth:interpolation:border:)``).
    ///   - outputHeight: output rows (the input's by default).
    ///   - outputWidth: output columns (the input's by default).
    ///   - interpolation: `.bilinear` (default) or `.nearest`.
    ///   - border: `.constant(0)` by default.
    public func warped(inverseMap: AffineTransform2D, outputHeight: Int? = nil, outputWidth: Int? = nil,
                       interpolation: Interpolation = .bilinear, border: WarpBorder = .constant(0)) -> Image<Float> {
        let h = outputHeight ?? height, w = outputWidth ?? width
        var out = [Float](repeating: 0, count: h * w * channels)
        out.withUnsafeMutableBufferPointer { dst in
            warp(inverseMap: inverseMap, into: dst, outputHeight: h, outputWidth: w, layout: .interleaved,
                 interpolation: interpolation, border: border)
        }
        return Image(unchecked: out, height: h, width: w, channels: channels)
    }

    /// The image moved by `transform` (output = transform(input)); the same as warping by `transform.inverse`.
    public func warped(by transform: AffineTransform2D, outputHeight: Int? = nil, outputWidth: Int? = nil,
                       interpolation: Interpolation = .bilinear, border: WarpBorder = .constant(0)) -> Image<Float> {
        warped(inverseMap: transform.inverse, outputHeight: outputHeight, outputWidth: outputWidth,
               interpolation: interpolation, border: border)
    }

    /// Warps into a caller-provided buffer (no allocation): for a data loader filling a batch tensor.
    /// - Parameters:
    ///   - inverseMap: maps output (x, y) to input (x, y).
    ///   - destination: at least `outputHeight * outputWidth * channels` Floats.
    ///   - outputHeight: output rows.
    ///   - outputWidth: output columns.
    ///   - layout: `.interleaved` (HWC) or `.planar` (CHW).
    ///   - interpolation: `.bilinear` or `.nearest`.
    ///   - border: what lies outside the input.
    public func warp(inverseMap m: AffineTransform2D, into destination: UnsafeMutableBufferPointer<Float>,
                     outputHeight: Int, outputWidth: Int, layout: PixelLayout = .interleaved,
                     interpolation: Interpolation = .bilinear, border: WarpBorder = .constant(0)) {
        precondition(destination.count >= outputHeight * outputWidth * channels,
                     "destination holds \(destination.count) floats, needs \(outputHeight * outputWidth * channels)")
        pixels.withUnsafeBufferPointer { src in
            warpKernel(src: src.baseAddress!, height: height, width: width, channels: channels, m: m,
                       dst: destination.baseAddress!, outH: outputHeight, outW: outputWidth, planar: layout == .planar,
                       bilinear: interpolation == .bilinear, border: border.padRule)
        }
    }
}

extension Image where Pixel == UInt8 {
    /// The 8-bit image warped by an inverse map (computed on [0, 1] floats, rounded back to 8 bits).
    public func warped(inverseMap: AffineTransform2D, outputHeight: Int? = nil, outputWidth: Int? = nil,
                       interpolation: Interpolation = .bilinear, border: WarpBorder = .constant(0)) -> Image<UInt8> {
        toFloat().warped(inverseMap: inverseMap, outputHeight: outputHeight, outputWidth: outputWidth,
                         interpolation: interpolation, border: border).toBytes()
    }
}

/// The warp itself, non-generic over Float buffers.
private func warpKernel(src: UnsafePointer<Float>, height: Int, width: Int, channels: Int, m: AffineTransform2D,
                        dst: UnsafeMutablePointer<Float>, outH: Int, outW: Int, planar: Bool, bilinear: Bool, border: PadRule<Float>) {
    let plane = outH * outW
    // Output index of (pixel p, channel c): interleaved p·C + c, planar c·plane + p.
    let pixelStride = planar ? 1 : channels, channelStride = planar ? plane : 1
    let rowStride = width * channels
    var cval: Float = 0
    if case .constant(let v) = border { cval = v }
    let maxX = Double(width - 1), maxY = Double(height - 1)

    @inline(__always) func fetch(_ yi: Int, _ xi: Int, _ c: Int) -> Float {
        guard let sy = border.sourceIndex(yi, height), let sx = border.sourceIndex(xi, width) else { return cval }
        return src[sy * rowStride + sx * channels + c]
    }

    for y in 0..<outH {
        let yd = Double(y)
        // Source coordinates advance by (a0, b0) per output column.
        var sx = m.a1 * yd + m.a2, sy = m.b1 * yd + m.b2
        for x in 0..<outW {
            let out = dst + (y * outW + x) * pixelStride
            if bilinear {
                let fx = sx.rounded(.down), fy = sy.rounded(.down)
                let dx = Float(sx - fx), dy = Float(sy - fy)
                if fx >= 0 && fy >= 0 && fx < maxX && fy < maxY {
                    // Interior: all four neighbours exist.
                    let p = src + Int(fy) * rowStride + Int(fx) * channels
                    let q = p + rowStride
                    for c in 0..<channels {
                        let top = p[c] + dx * (p[c + channels] - p[c])
                        let bottom = q[c] + dx * (q[c + channels] - q[c])
                        out[c * channelStride] = top + dy * (bottom - top)
                    }
                } else if fx.isFinite && fy.isFinite && abs(fx) < 1e9 && abs(fy) < 1e9 {
                    let xi = Int(fx), yi = Int(fy)
                    for c in 0..<channels {
                        let tl = fetch(yi, xi, c), tr = fetch(yi, xi + 1, c)
                        let bl = fetch(yi + 1, xi, c), br = fetch(yi + 1, xi + 1, c)
                        // skimage's form: (1 − dc)·left + dc·right, then rows alike.
                        let top = (1 - dx) * tl + dx * tr, bottom = (1 - dx) * bl + dx * br
                        out[c * channelStride] = (1 - dy) * top + dy * bottom
                    }
                } else {
                    for c in 0..<channels { out[c * channelStride] = cval }
                }
            } else {
                let rx = (sx + 0.5).rounded(.down), ry = (sy + 0.5).rounded(.down)
                if rx >= 0 && ry >= 0 && rx <= maxX && ry <= maxY {
                    let p = src + Int(ry) * rowStride + Int(rx) * channels
                    for c in 0..<channels { out[c * channelStride] = p[c] }
                } else if rx.isFinite && ry.isFinite && abs(rx) < 1e9 && abs(ry) < 1e9 {
                    for c in 0..<channels { out[c * channelStride] = fetch(Int(ry), Int(rx), c) }
                } else {
                    for c in 0..<channels { out[c * channelStride] = cval }
                }
            }
            sx += m.a0
            sy += m.b0
        }
    }
}
