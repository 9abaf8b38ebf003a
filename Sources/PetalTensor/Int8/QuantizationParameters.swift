// How 8-bit activations map to real values: asymmetric unsigned, as ONNX Runtime's static quantization and
// OpenVINO quantize activations (a real value x is stored as q = round(x / scale) + zeroPoint, clamped to 0…255), so
// a Petal int8 model exports as QuantizeLinear/DequantizeLinear pairs with the same numbers.

/// An affine map between real values and unsigned 8-bit codes: x ≈ scale · (q − zeroPoint), q in 0…255.
public struct QuantizationParameters: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The real value of one step.
    public let scale: Float
    /// The code of real 0 (exact, so zero padding and ReLU's zeros are exact).
    public let zeroPoint: Int32

    /// - Throws: `TensorError.invalidArgument` unless `scale` is finite and positive and `zeroPoint` in 0…255.
    public init(scale: Float, zeroPoint: Int32) throws {
        guard scale.isFinite, scale > 0, (0...255).contains(zeroPoint) else {
            throw TensorError.invalidArgument(op: "QuantizationParameters", message: "scale must be finite and positive and the zero point in 0…255, got \(scale) and \(zeroPoint)")
        }
        (self.scale, self.zeroPoint) = (scale, zeroPoint)
    }

    /// The parameters that cover [min, max] widened to contain 0 (codes 0…255 span it; 0 is a code).
    /// - Throws: `TensorError.invalidArgument` when a bound is not finite.
    public init(covering min: Float, _ max: Float) throws {
        guard min.isFinite, max.isFinite else {
            throw TensorError.invalidArgument(op: "QuantizationParameters", message: "the range must be finite, got [\(min), \(max)]")
        }
        let (low, high) = (Swift.min(min, 0), Swift.max(max, 0))
        // A value that never leaves 0 still needs a positive step.
        let scale = high > low ? (high - low) / 255 : 1
        try self.init(scale: scale, zeroPoint: Int32(Swift.min(Swift.max((-low / scale).rounded(.toNearestOrEven), 0), 255)))
    }

    /// The code of `x` (rounded half to even, clamped to 0…255).
    public func code(_ x: Float) -> UInt8 {
        UInt8(Swift.min(Swift.max((x / scale).rounded(.toNearestOrEven) + Float(zeroPoint), 0), 255))
    }

    /// The real value of `code`.
    public func value(_ code: UInt8) -> Float { scale * Float(Int32(code) - zeroPoint) }

    /// The smallest and largest real values the codes reach.
    public var range: ClosedRange<Float> { value(0)...value(255) }

    public var description: String { "scale \(scale), zero point \(zeroPoint)" }
}
