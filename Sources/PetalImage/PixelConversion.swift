// Conversions between 8-bit, Float and Bool images, with scikit-image's conventions
// (`img_as_float`: v / 255; `img_as_ubyte`: rint(v * 255) after clipping to [0, 1]).

extension Image where Pixel == UInt8 {
    /// Values divided by 255, so 0…255 becomes 0…1 (scikit-image's `img_as_float`).
    public func toFloat() -> Image<Float> {
        var out = [Float](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                // A true division (not a multiply by 1/255) gives the correctly rounded value, as numpy's float64 path does.
                for i in 0..<src.count { dst[i] = Float(src[i]) / 255 }
            }
        }
        return Image<Float>(unchecked: out, height: height, width: width, channels: channels)
    }

    /// `true` where a component is non-zero.
    public func toMask() -> Image<Bool> {
        Image<Bool>(unchecked: pixels.map { $0 != 0 }, height: height, width: width, channels: channels)
    }
}

extension Image where Pixel == Float {
    /// Values clipped to [0, 1], times 255, rounded half to even (numpy's `rint`, as in `img_as_ubyte`).
    public func toBytes() -> Image<UInt8> {
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<src.count {
                    // NaN maps to 0: `max` with a NaN first operand returns the other one.
                    let v = Swift.min(Swift.max(src[i], 0), 1) * 255
                    dst[i] = UInt8(v.rounded(.toNearestOrEven))
                }
            }
        }
        return Image<UInt8>(unchecked: out, height: height, width: width, channels: channels)
    }

    /// `true` where a component is greater than `threshold` (0.5 by default).
    public func toMask(threshold: Float = 0.5) -> Image<Bool> {
        Image<Bool>(unchecked: pixels.map { $0 > threshold }, height: height, width: width, channels: channels)
    }
}

extension Image where Pixel == Bool {
    /// 255 where set, 0 elsewhere (scikit-image's `img_as_ubyte` of a bool array).
    public func toBytes() -> Image<UInt8> {
        Image<UInt8>(unchecked: pixels.map { $0 ? 255 : 0 }, height: height, width: width, channels: channels)
    }

    /// 1 where set, 0 elsewhere.
    public func toFloat() -> Image<Float> {
        Image<Float>(unchecked: pixels.map { $0 ? 1 : 0 }, height: height, width: width, channels: channels)
    }

    /// Number of `true` pixels.
    public var trueCount: Int { pixels.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Pixel-wise logical not.
    public func inverted() -> Image<Bool> {
        Image<Bool>(unchecked: pixels.map { !$0 }, height: height, width: width, channels: channels)
    }
}
