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
    /// Periodic (grid-wrap; Keras' 'wrap' goes through scipy's legacy 'wrap', which differs at the edges).
    case wrap
    /// scipy.ndimage's legacy 'constant', which Keras' `fill_mode='constant'` uses: a sample point outside the
    /// image takes the value; one inside is interpolated from image pixels only (no blending with the value
    /// along the edge, unlike `.constant`, which is scikit-image's and scipy's 'grid-constant').
    case constantOutside(Float)

    var padRule: PadRule<Float> {
        switch self {
        case .constant(let v): return .constant(v)
        case .edge, .constantOutside: return .nearest
        case .symmetric: return .reflect
        case .reflect: return .mirror
        case .wrap: return .wrap
        }
    }

    /// The value of a sample point outside the image, for `.constantOutside`.
    var outsideValue: Float? {
        if case .constantOutside(let v) = self { return v }
        return nil
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
                       bilinear: interpolation == .bilinear, border: border.padRule, outside: border.outsideValue)
        }
    }
}

extension Image where Pixel == UInt8 {
    /// Warps the 8-bit image straight into a caller-provided Float buffer, scaled to [0, 1] (value / 255) on
    /// the way: a data loader can keep decoded images as bytes and fill a batch tensor without a Float copy.
    /// The result equals `toFloat().warp(...)` to within Float rounding.
    /// - Parameters:
    ///   - inverseMap: maps output (x, y) to input (x, y).
    ///   - destination: at least `outputHeight * outputWidth * channels` Floats.
    ///   - outputHeight: output rows.
    ///   - outputWidth: output columns.
    ///   - layout: `.interleaved` (HWC) or `.planar` (CHW).
    ///   - interpolation: `.bilinear` or `.nearest`.
    ///   - border: what lies outside; a constant is given in output units ([0, 1]).
    public func warp(inverseMap m: AffineTransform2D, into destination: UnsafeMutableBufferPointer<Float>,
                     outputHeight: Int, outputWidth: Int, layout: PixelLayout = .interleaved,
                     interpolation: Interpolation = .bilinear, border: WarpBorder = .constant(0)) {
        precondition(destination.count >= outputHeight * outputWidth * channels,
                     "destination holds \(destination.count) floats, needs \(outputHeight * outputWidth * channels)")
        pixels.withUnsafeBufferPointer { src in
            warpKernel(src: src.baseAddress!, height: height, width: width, channels: channels, m: m,
                       dst: destination.baseAddress!, outH: outputHeight, outW: outputWidth, planar: layout == .planar,
                       bilinear: interpolation == .bilinear, border: border.padRule, outside: border.outsideValue, scale: 1 / 255)
        }
    }

    /// The 8-bit image warped by an inverse map (computed on [0, 1] floats, rounded back to 8 bits).
    public func warped(inverseMap: AffineTransform2D, outputHeight: Int? = nil, outputWidth: Int? = nil,
                       interpolation: Interpolation = .bilinear, border: WarpBorder = .constant(0)) -> Image<UInt8> {
        toFloat().warped(inverseMap: inverseMap, outputHeight: outputHeight, outputWidth: outputWidth,
                         interpolation: interpolation, border: border).toBytes()
    }
}

/// The warp itself, over raw buffers. Generic only so that 8-bit sources need no Float copy: it is
/// always inlined into the two public entry points, which specialises it for UInt8 and Float.
/// Samples are interpolated in source units and multiplied by `scale` on output.
@inline(__always)
private func warpKernel<S: WarpSample>(src: UnsafePointer<S>, height: Int, width: Int, channels: Int, m: AffineTransform2D,
                                       dst: UnsafeMutablePointer<Float>, outH: Int, outW: Int, planar: Bool, bilinear: Bool,
                                       border: PadRule<Float>, outside: Float?, scale: Float = 1) {
    let plane = outH * outW
    // Output index of (pixel p, channel c): interleaved p·C + c, planar c·plane + p.
    let pixelStride = planar ? 1 : channels, channelStride = planar ? plane : 1
    let rowStride = width * channels
    var cval: Float = 0, isConstant = false
    if case .constant(let v) = border { cval = v / scale; isConstant = true }
    // Interior test bounds: bilinear needs floor(s) + 1 inside, nearest needs round(s) inside. They are pulled
    // in by 1e-4 px so that the fixed-point stepping of the interior loop (error ≤ 2⁻³³ px per step) can never
    // step outside the image; pixels in that sliver take the exact border path instead.
    // With `outside` (scipy's legacy constant), any point beyond [0, n − 1] is the constant, so the interior
    // is that range whatever the interpolation.
    let guardBand = 1e-4
    let nearestReach = bilinear || outside != nil ? 0.0 : 0.5
    let limitX = (bilinear ? Double(width - 1) : Double(width - 1) + nearestReach) - guardBand
    let limitY = (bilinear ? Double(height - 1) : Double(height - 1) + nearestReach) - guardBand
    let lowX = -nearestReach + guardBand, lowY = lowX

    @inline(__always) func fetch(_ yi: Int, _ xi: Int, _ c: Int) -> Float {
        guard let sy = border.sourceIndex(yi, height), let sx = border.sourceIndex(xi, width) else { return cval }
        return src[sy * rowStride + sx * channels + c].floatValue
    }
    /// floor for the coordinates that reach the border path; huge or non-finite ones are clamped
    /// far outside, where every border rule still gives a valid index or the constant.
    @inline(__always) func floorIndex(_ v: Double) -> Int {
        guard v.isFinite else { return Int.min / 4 }
        let c = Swift.min(Swift.max(v, -1e9), 1e9)
        let i = Int(c)
        return Double(i) > c ? i - 1 : i
    }
    @inline(__always) func inside(_ sx: Double, _ sy: Double) -> Bool {
        sx >= lowX && sy >= lowY && sx < limitX && sy < limitY
    }

    var isEdge = false
    if case .nearest = border, outside == nil { isEdge = true }

    for y in 0..<outH {
        let yd = Double(y)
        let sx0 = m.a1 * yd + m.a2, sy0 = m.b1 * yd + m.b2
        @inline(__always) func source(_ x: Int) -> (Double, Double) { (sx0 + m.a0 * Double(x), sy0 + m.b0 * Double(x)) }

        // Edge border (Keras' default 'nearest'), bilinear: clamping the four neighbour indices is cheaper than
        // splitting the row, so the whole row takes one loop (when its coordinates are of sane size).
        if isEdge && bilinear {
            let (ax, ay) = source(0), (bx, by) = source(outW - 1)
            if Swift.max(abs(ax), abs(ay), abs(bx), abs(by)) < 1e6 {
                let one = 4_294_967_296.0, toUnit: Float = 1 / 4_294_967_296
                var fx = Int64((ax * one).rounded(.down)), fy = Int64((ay * one).rounded(.down))
                let stepX = Int64((m.a0 * one).rounded()), stepY = Int64((m.b0 * one).rounded())
                let lastX = width - 1, lastY = height - 1
                var out = dst + y &* outW &* pixelStride
                for _ in 0..<outW {
                    // Arithmetic shift is floor, also for negative coordinates.
                    let xi = Int(truncatingIfNeeded: fx &>> 32), yi = Int(truncatingIfNeeded: fy &>> 32)
                    let dx = Float(UInt32(truncatingIfNeeded: fx)) * toUnit, dy = Float(UInt32(truncatingIfNeeded: fy)) * toUnit
                    let x0 = Swift.min(Swift.max(xi, 0), lastX) &* channels, x1 = Swift.min(Swift.max(xi &+ 1, 0), lastX) &* channels
                    let r0 = src + Swift.min(Swift.max(yi, 0), lastY) &* rowStride, r1 = src + Swift.min(Swift.max(yi &+ 1, 0), lastY) &* rowStride
                    for c in 0..<channels {
                        let top = r0[x0 &+ c].floatValue + dx * (r0[x1 &+ c].floatValue - r0[x0 &+ c].floatValue)
                        let bottom = r1[x0 &+ c].floatValue + dx * (r1[x1 &+ c].floatValue - r1[x0 &+ c].floatValue)
                        out[c &* channelStride] = (top + dy * (bottom - top)) * scale
                    }
                    out += pixelStride
                    fx &+= stepX
                    fy &+= stepY
                }
                continue
            }
        }

        // The interior of a row is one interval of x (an intersection of half-planes along a line):
        // solve for it, then trim the ends so that the test holds exactly at every interior pixel.
        var lo = 0.0, hi = Double(outW)
        @inline(__always) func restrict(_ start: Double, _ step: Double, _ low: Double, _ limit: Double) {
            if step == 0 {
                if !(start >= low && start < limit) { lo = 1; hi = 0 }
            } else {
                let t0 = (low - start) / step, t1 = (limit - start) / step
                lo = Swift.max(lo, Swift.min(t0, t1)); hi = Swift.min(hi, Swift.max(t0, t1))
            }
        }
        restrict(sx0, m.a0, lowX, limitX)
        restrict(sy0, m.b0, lowY, limitY)
        var xStart = outW, xEnd = outW
        if lo.isFinite && hi.isFinite && lo < hi {
            xStart = Swift.max(0, Swift.min(outW, Int(lo.rounded(.up)) - 1))
            xEnd = Swift.max(xStart, Swift.min(outW, Int(hi.rounded(.down)) + 2))
            while xStart < xEnd { let (a, b) = source(xStart); if inside(a, b) { break }; xStart += 1 }
            while xEnd > xStart { let (a, b) = source(xEnd - 1); if inside(a, b) { break }; xEnd -= 1 }
        }

        // Border pixels: [0, xStart) and [xEnd, outW). Each maps its two rows and two columns once.
        var x = 0
        while x < outW {
            if x == xStart && xStart < xEnd { x = xEnd; continue }
            defer { x += 1 }
            do {
                let (sx, sy) = source(x)
                let out = dst + (y * outW + x) * pixelStride
                if let outside, !(sx >= 0 && sy >= 0 && sx <= Double(width - 1) && sy <= Double(height - 1)) {
                    for c in 0..<channels { out[c * channelStride] = outside }   // given in output units
                    continue
                }
                if bilinear {
                    let xi = floorIndex(sx), yi = floorIndex(sy)
                    if isConstant && (xi < -1 || yi < -1 || xi >= width || yi >= height) {
                        for c in 0..<channels { out[c * channelStride] = cval * scale }   // all four neighbours outside
                        continue
                    }
                    let dx = Float(sx - Double(xi)), dy = Float(sy - Double(yi))
                    if !isConstant {
                        // Every border rule but the constant maps to a pixel: four pointers, no optionals.
                        let x0 = border.sourceIndex(xi, width)! &* channels, x1 = border.sourceIndex(xi + 1, width)! &* channels
                        let r0 = src + border.sourceIndex(yi, height)! &* rowStride, r1 = src + border.sourceIndex(yi + 1, height)! &* rowStride
                        for c in 0..<channels {
                            let top = (1 - dx) * r0[x0 &+ c].floatValue + dx * r0[x1 &+ c].floatValue
                            let bottom = (1 - dx) * r1[x0 &+ c].floatValue + dx * r1[x1 &+ c].floatValue
                            out[c &* channelStride] = ((1 - dy) * top + dy * bottom) * scale
                        }
                        continue
                    }
                    let x0 = border.sourceIndex(xi, width), x1 = border.sourceIndex(xi + 1, width)
                    let y0 = border.sourceIndex(yi, height), y1 = border.sourceIndex(yi + 1, height)
                    @inline(__always) func at(_ yy: Int?, _ xx: Int?, _ c: Int) -> Float {
                        guard let yy, let xx else { return cval }
                        return src[yy * rowStride + xx * channels + c].floatValue
                    }
                    for c in 0..<channels {
                        // skimage's form: (1 − dc)·left + dc·right, then rows alike.
                        let top = (1 - dx) * at(y0, x0, c) + dx * at(y0, x1, c)
                        let bottom = (1 - dx) * at(y1, x0, c) + dx * at(y1, x1, c)
                        out[c * channelStride] = ((1 - dy) * top + dy * bottom) * scale
                    }
                } else {
                    let xi = floorIndex(sx + 0.5), yi = floorIndex(sy + 0.5)
                    for c in 0..<channels { out[c * channelStride] = fetch(yi, xi, c) * scale }
                }
            }
        }

        // Interior: every neighbour exists and coordinates are ≥ 0. They advance in 32.32 fixed point, an
        // integer add per pixel instead of two float→int conversions with range checks; the step's rounding
        // error (2⁻³³ px) stays far below Float precision over any row length.
        if xStart < xEnd {
            let (fx0, fy0) = source(xStart)
            let one = 4_294_967_296.0, toUnit: Float = 1 / 4_294_967_296
            var fx = Int64(fx0 * one), fy = Int64(fy0 * one)
            let stepX = Int64((m.a0 * one).rounded()), stepY = Int64((m.b0 * one).rounded())
            var out = dst + (y &* outW &+ xStart) &* pixelStride
            if bilinear && channels == 3 {
                for _ in xStart..<xEnd {
                    let xi = Int(truncatingIfNeeded: fx &>> 32), yi = Int(truncatingIfNeeded: fy &>> 32)
                    let dx = Float(UInt32(truncatingIfNeeded: fx)) * toUnit, dy = Float(UInt32(truncatingIfNeeded: fy)) * toUnit
                    let p = src + (yi &* rowStride &+ xi &* 3), q = p + rowStride
                    let p0 = p[0].floatValue, p1 = p[1].floatValue, p2 = p[2].floatValue
                    let q0 = q[0].floatValue, q1 = q[1].floatValue, q2 = q[2].floatValue
                    let t0 = p0 + dx * (p[3].floatValue - p0), b0 = q0 + dx * (q[3].floatValue - q0)
                    let t1 = p1 + dx * (p[4].floatValue - p1), b1 = q1 + dx * (q[4].floatValue - q1)
                    let t2 = p2 + dx * (p[5].floatValue - p2), b2 = q2 + dx * (q[5].floatValue - q2)
                    out[0] = (t0 + dy * (b0 - t0)) * scale
                    out[channelStride] = (t1 + dy * (b1 - t1)) * scale
                    out[2 &* channelStride] = (t2 + dy * (b2 - t2)) * scale
                    out += pixelStride
                    fx &+= stepX
                    fy &+= stepY
                }
            } else if bilinear {
                for _ in xStart..<xEnd {
                    let xi = Int(truncatingIfNeeded: fx &>> 32), yi = Int(truncatingIfNeeded: fy &>> 32)
                    let dx = Float(UInt32(truncatingIfNeeded: fx)) * toUnit, dy = Float(UInt32(truncatingIfNeeded: fy)) * toUnit
                    let p = src + (yi &* rowStride &+ xi &* channels), q = p + rowStride
                    for c in 0..<channels {
                        let top = p[c].floatValue + dx * (p[c &+ channels].floatValue - p[c].floatValue)
                        let bottom = q[c].floatValue + dx * (q[c &+ channels].floatValue - q[c].floatValue)
                        out[c &* channelStride] = (top + dy * (bottom - top)) * scale
                    }
                    out += pixelStride
                    fx &+= stepX
                    fy &+= stepY
                }
            } else {
                // Nearest: round half up, i.e. floor(s + 0.5), on the fixed-point coordinate.
                let half: Int64 = 1 << 31
                for _ in xStart..<xEnd {
                    let xi = Int(truncatingIfNeeded: (fx &+ half) &>> 32), yi = Int(truncatingIfNeeded: (fy &+ half) &>> 32)
                    let p = src + (yi &* rowStride &+ xi &* channels)
                    for c in 0..<channels { out[c &* channelStride] = p[c].floatValue * scale }
                    out += pixelStride
                    fx &+= stepX
                    fy &+= stepY
                }
            }
        }
    }
}

/// A pixel component a warp can read: 8-bit or Float.
protocol WarpSample {
    var floatValue: Float { get }
}
extension Float: WarpSample { @inline(__always) var floatValue: Float { self } }
extension UInt8: WarpSample { @inline(__always) var floatValue: Float { Float(self) } }
