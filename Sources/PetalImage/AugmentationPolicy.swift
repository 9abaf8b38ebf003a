// Random augmentation with the parameters and meanings of Keras' `ImageDataGenerator` (tf_keras): one Codable policy
// for the settings, the fill mode, and the draw of each image's transform in Keras' order (`get_random_transform`).
// `AffineTransform2D.keras` turns a draw into the warp; PetalData applies it to cached crops.
import Foundation

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
    /// torchvision's `RandomResizedCrop` scale, or `nil` for none: each image shows a random window covering this
    /// fraction of its area, with an aspect ratio from 3/4 to 4/3 (log-uniform), anywhere inside it, stretched to the
    /// full size. It replaces the zoom and shift draws; rotation, shear and flips still apply. fastai's `min_scale`
    /// is its lower bound (`0.35...1`).
    public var randomResizedCrop: ClosedRange<Double>?

    /// - Parameters: Keras' `ImageDataGenerator` arguments; everything off by default.
    public init(rotationRange: Double = 0, widthShiftRange: Double = 0, heightShiftRange: Double = 0,
                zoomRange: ClosedRange<Double> = 1...1, shearRange: Double = 0, horizontalFlip: Bool = false,
                verticalFlip: Bool = false, brightnessRange: ClosedRange<Double>? = nil, fillMode: FillMode = .nearest,
                cval: Float = 0, randomResizedCrop: ClosedRange<Double>? = nil) {
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
        self.randomResizedCrop = randomResizedCrop
    }

    /// Keras' scalar `zoom_range=z`: `(1 − z)...(1 + z)`.
    public static func zoom(_ z: Double) -> ClosedRange<Double> { (1 - z)...(1 + z) }

    private enum CodingKeys: String, CodingKey {
        case rotationRange, widthShiftRange, heightShiftRange, zoomRange, shearRange, horizontalFlip, verticalFlip,
             brightnessRange, fillMode, cval, randomResizedCrop
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
                  cval: try c.decodeIfPresent(Float.self, forKey: .cval) ?? 0,
                  randomResizedCrop: try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .randomResizedCrop))
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

    /// One random transform for a `height × width` image, drawn in Keras' order from `generator`.
    @inlinable
    public func sample<G: RandomNumberGenerator>(height: Int, width: Int, using g: inout G) -> KerasTransformParameters {
        func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unitSample(&g) }
        var p = KerasTransformParameters()
        if rotationRange != 0 { p.rotationDegrees = uniform(-rotationRange, rotationRange) }
        if heightShiftRange != 0 && randomResizedCrop == nil {
            p.rowShift = uniform(-heightShiftRange, heightShiftRange) * (abs(heightShiftRange) < 1 ? Double(height) : 1)
        }
        if widthShiftRange != 0 && randomResizedCrop == nil {
            p.columnShift = uniform(-widthShiftRange, widthShiftRange) * (abs(widthShiftRange) < 1 ? Double(width) : 1)
        }
        if shearRange != 0 { p.shearDegrees = uniform(-shearRange, shearRange) }
        if let scale = randomResizedCrop {
            // The window's height and width as fractions of the image's (Keras' zoom below 1 shows less), then its
            // centre anywhere that keeps it inside: at most (size − 1) / 2 · (1 − fraction) pixels off centre.
            let area = uniform(scale.lowerBound, scale.upperBound)
            let ratio = Foundation.exp(uniform(Foundation.log(3.0 / 4), Foundation.log(4.0 / 3)))
            (p.columnZoom, p.rowZoom) = (min(1, (area * ratio).squareRoot()), min(1, (area / ratio).squareRoot()))
            let rowRoom = Double(height - 1) / 2 * (1 - p.rowZoom), columnRoom = Double(width - 1) / 2 * (1 - p.columnZoom)
            p.rowShift = uniform(-rowRoom, rowRoom)
            p.columnShift = uniform(-columnRoom, columnRoom)
        } else if zoomRange != 1...1 {
            p.rowZoom = uniform(zoomRange.lowerBound, zoomRange.upperBound)
            p.columnZoom = uniform(zoomRange.lowerBound, zoomRange.upperBound)
        }
        p.flipHorizontal = horizontalFlip && unitSample(&g) < 0.5
        p.flipVertical = verticalFlip && unitSample(&g) < 0.5
        if let b = brightnessRange { p.brightness = uniform(b.lowerBound, b.upperBound) }
        return p
    }
}
