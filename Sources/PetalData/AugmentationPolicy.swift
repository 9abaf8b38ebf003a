// Random augmentation with the parameters of Keras' `ImageDataGenerator.random_transform` (tf_keras).
// The draw order and the matrix are PetalImage's `KerasAugmentation.sample` and `AffineTransform2D.keras`, which are
// checked against Keras/scipy there; here they are wrapped in a Codable policy and applied to a cached 8-bit crop
// as ONE composed warp (rotation · shift · shear · zoom · flips), written straight into the batch's planar Floats.
// Brightness follows the warp as a multiplication clipped to [0, 1] (Keras goes through PIL's
// ImageEnhance.Brightness, which also rounds to 8 bits; Petal keeps the Float precision).
import PetalImage

/// Keras' `fill_mode`: what an augmented image shows where the transform reaches outside the original.
public enum FillMode: String, Codable, Sendable, CaseIterable {
    /// A constant value (`cval`, in [0, 1]).
    case constant
    /// The edge pixel repeated (Keras' default).
    case nearest
    /// Mirrored including the edge pixel (d c b a | a b c d).
    case reflect
    /// Periodic repetition.
    case wrap
}

/// Per-image random augmentation, Keras' `ImageDataGenerator` arguments and meanings.
public struct AugmentationPolicy: Codable, Sendable, Equatable {
    /// Degrees; rotation is uniform in ±range (`rotation_range`).
    public var rotationRange: Double
    /// Fraction of the width when below 1, else pixels (`width_shift_range`).
    public var widthShiftRange: Double
    /// Fraction of the height when below 1, else pixels (`height_shift_range`).
    public var heightShiftRange: Double
    /// Zoom factors, row and column drawn independently; Keras' `zoom_range=z` is `(1 − z)...(1 + z)`.
    public var zoomRange: ClosedRange<Double>
    /// Degrees; shear is uniform in ±range (`shear_range`).
    public var shearRange: Double
    /// Mirror left ↔ right with probability ½.
    public var horizontalFlip: Bool
    /// Mirror top ↔ bottom with probability ½.
    public var verticalFlip: Bool
    /// Brightness factor range (`brightness_range`), or `nil` for none.
    public var brightnessRange: ClosedRange<Double>?
    /// What fills the area the transform uncovers (`fill_mode`, `.nearest` by default).
    public var fillMode: FillMode
    /// The fill value for `.constant`, in [0, 1] (`cval` / 255).
    public var cval: Float

    /// - Parameters: Keras' `ImageDataGenerator` arguments; everything off by default.
    public init(rotationRange: Double = 0, widthShiftRange: Double = 0, heightShiftRange: Double = 0,
                zoomRange: ClosedRange<Double> = 1...1, shearRange: Double = 0, horizontalFlip: Bool = false,
                verticalFlip: Bool = false, brightnessRange: ClosedRange<Double>? = nil, fillMode: FillMode = .nearest,
                cval: Float = 0) {
        self.rotationRange = rotationRange
        self.widthShiftRange = widthShiftRange
        self.heightShiftRange = heightShiftRange
        self.zoomRange = zoomRange
        self.shearRange = shearRange
        self.horizontalFlip = horizontalFlip
        self.verticalFlip = verticalFlip
        self.brightnessRange = brightnessRange
        self.fillMode = fillMode
        self.cval = cval
    }

    /// Keras' scalar `zoom_range=z`: `(1 − z)...(1 + z)`.
    public static func zoom(_ z: Double) -> ClosedRange<Double> { (1 - z)...(1 + z) }

    private enum CodingKeys: String, CodingKey {
        case rotationRange, widthShiftRange, heightShiftRange, zoomRange, shearRange, horizontalFlip, verticalFlip,
             brightnessRange, fillMode, cval
    }

    /// Decodes a saved policy; absent keys are off.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rotationRange: try c.decodeIfPresent(Double.self, forKey: .rotationRange) ?? 0,
                  widthShiftRange: try c.decodeIfPresent(Double.self, forKey: .widthShiftRange) ?? 0,
                  heightShiftRange: try c.decodeIfPresent(Double.self, forKey: .heightShiftRange) ?? 0,
                  zoomRange: try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .zoomRange) ?? 1...1,
                  shearRange: try c.decodeIfPresent(Double.self, forKey: .shearRange) ?? 0,
                  horizontalFlip: try c.decodeIfPresent(Bool.self, forKey: .horizontalFlip) ?? false,
                  verticalFlip: try c.decodeIfPresent(Bool.self, forKey: .verticalFlip) ?? false,
                  brightnessRange: try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .brightnessRange),
                  fillMode: try c.decodeIfPresent(FillMode.self, forKey: .fillMode) ?? .nearest,
                  cval: try c.decodeIfPresent(Float.self, forKey: .cval) ?? 0)
    }

    /// Checks the ranges.
    /// - Throws: ``DataError/invalidConfig(parameter:reason:)`` naming the bad setting.
    public func validate() throws {
        func bad(_ name: String, _ reason: String) -> DataError { .invalidConfig(parameter: "augmentation.\(name)", reason: reason) }
        for (name, v) in [("rotationRange", rotationRange), ("widthShiftRange", widthShiftRange),
                          ("heightShiftRange", heightShiftRange), ("shearRange", shearRange)] where !(v >= 0 && v.isFinite) {
            throw bad(name, "must be a finite value ≥ 0, got \(v)")
        }
        guard zoomRange.lowerBound > 0, zoomRange.upperBound.isFinite else {
            throw bad("zoomRange", "factors must be positive and finite, got \(zoomRange)")
        }
        if let b = brightnessRange, !(b.lowerBound >= 0 && b.upperBound.isFinite) {
            throw bad("brightnessRange", "factors must be finite and ≥ 0, got \(b)")
        }
    }

    /// The same settings as PetalImage's sampler.
    public var keras: KerasAugmentation {
        KerasAugmentation(rotationRange: rotationRange, widthShiftRange: widthShiftRange, heightShiftRange: heightShiftRange,
                          shearRange: shearRange, zoomRange: zoomRange, horizontalFlip: horizontalFlip,
                          verticalFlip: verticalFlip, brightnessRange: brightnessRange)
    }

    /// The warp border for `fillMode` (Keras 'constant' is scipy's legacy constant, `.constantOutside`).
    public var border: WarpBorder {
        switch fillMode {
        case .constant: return .constantOutside(cval)
        case .nearest: return .edge
        case .reflect: return .symmetric
        case .wrap: return .wrap
        }
    }

    /// The transform for image `sample` (its stable index in the data set) in `epoch`, copy `copy`: a function of
    /// the seed and these numbers only.
    public func parameters(seed: UInt64, epoch: Int, sample: Int, copy: Int = 0, height: Int, width: Int) -> KerasTransformParameters {
        var g = SeededDraws.generator(seed: seed, .augmentation, epoch, sample, copy)
        return keras.sample(height: height, width: width, using: &g)
    }

    /// Warps `image` by the composed transform of `p` into `destination` (planar CHW, values in [0, 1]), then
    /// applies the brightness factor.
    /// - Parameters:
    ///   - image: the cached 8-bit crop.
    ///   - p: drawn parameters.
    ///   - destination: `image.height * image.width * image.channels` Floats.
    public func apply(_ p: KerasTransformParameters, to image: ByteImage, into destination: UnsafeMutableBufferPointer<Float>) {
        let m = AffineTransform2D.keras(p, height: image.height, width: image.width)
        // Converting to Float first and warping Floats is faster than PetalImage's 8-bit-source warp (which converts
        // each of the four neighbours of every sample), and gives exactly `image.toFloat().warped(...)`.
        image.toFloat().warp(inverseMap: m, into: destination, outputHeight: image.height, outputWidth: image.width,
                             layout: .planar, interpolation: .bilinear, border: border)
        if p.brightness != 1 {
            let f = Float(p.brightness)
            let n = image.height * image.width * image.channels
            for i in 0..<n { destination[i] = min(max(destination[i] * f, 0), 1) }
        }
    }
}
