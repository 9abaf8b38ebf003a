// Keras-style augmentation transforms (ImageDataGenerator's `apply_affine_transform`, Keras 2 / tf_keras),
// expressed as an inverse map for ``Image/warped(inverseMap:outputHeight:outputWidth:interpolation:border:)``.
// Keras builds rotation · shift · shear · zoom in (row, column) coordinates, conjugates it with a shift to
// the image centre (h/2 − 0.5, w/2 − 0.5), and hands it to scipy.ndimage.affine_transform, which maps
// output coordinates to input coordinates. Here the same matrix is converted to (x = column, y = row).
// Fill modes: Keras 'nearest' is `.edge`, 'reflect' is `.symmetric`, 'constant' is `.constantOutside(cval)`
// (scipy's legacy constant mode); all three are checked against scipy.ndimage in the tests. Keras 'wrap' goes
// through scipy's legacy 'wrap', which has a known edge quirk; `.wrap` (periodic) is the sensible stand-in.
import Foundation

/// The parameters of one Keras random affine transform (the values `get_random_transform` draws).
public struct KerasTransformParameters: Sendable, Equatable {
    /// Rotation in degrees (`theta`).
    public var rotationDegrees: Double
    /// Shift along rows in pixels (`tx`, drawn from `height_shift_range`).
    public var rowShift: Double
    /// Shift along columns in pixels (`ty`, drawn from `width_shift_range`).
    public var columnShift: Double
    /// Shear angle in degrees (`shear`).
    public var shearDegrees: Double
    /// Zoom of the row coordinate (`zx`); values above 1 show less of the image (zoom out).
    public var rowZoom: Double
    /// Zoom of the column coordinate (`zy`).
    public var columnZoom: Double
    /// Mirror left ↔ right after the affine part (`flip_horizontal`).
    public var flipHorizontal: Bool
    /// Mirror top ↔ bottom after the affine part (`flip_vertical`).
    public var flipVertical: Bool
    /// Brightness factor (`brightness`, 1 = unchanged); not part of the geometry: apply it with
    /// ``Image/scaledBrightness(by:clip:)`` after the warp.
    public var brightness: Double

    /// - Parameters mirror Keras' `apply_affine_transform(theta, tx, ty, shear, zx, zy)` and `apply_transform`'s flips.
    public init(rotationDegrees: Double = 0, rowShift: Double = 0, columnShift: Double = 0, shearDegrees: Double = 0,
                rowZoom: Double = 1, columnZoom: Double = 1, flipHorizontal: Bool = false, flipVertical: Bool = false,
                brightness: Double = 1) {
        self.rotationDegrees = rotationDegrees
        self.rowShift = rowShift
        self.columnShift = columnShift
        self.shearDegrees = shearDegrees
        self.rowZoom = rowZoom
        self.columnZoom = columnZoom
        self.flipHorizontal = flipHorizontal
        self.flipVertical = flipVertical
        self.brightness = brightness
    }
}

extension AffineTransform2D {
    /// The inverse map Keras' `apply_affine_transform` uses for a `height × width` image, in (x, y) coordinates:
    /// `image.warped(inverseMap: .keras(p, height: h, width: w), border: .edge)` reproduces Keras' default
    /// (`fill_mode='nearest'`, bilinear).
    public static func keras(_ p: KerasTransformParameters, height: Int, width: Int) -> AffineTransform2D {
        // 3 × 3 products in (row, col), written out as (r0 r1 r2 / c0 c1 c2) rows.
        typealias M = (Double, Double, Double, Double, Double, Double)
        func mul(_ a: M, _ b: M) -> M {
            (a.0 * b.0 + a.1 * b.3, a.0 * b.1 + a.1 * b.4, a.0 * b.2 + a.1 * b.5 + a.2,
             a.3 * b.0 + a.4 * b.3, a.3 * b.1 + a.4 * b.4, a.3 * b.2 + a.4 * b.5 + a.5)
        }
        let t = p.rotationDegrees * .pi / 180, s = p.shearDegrees * .pi / 180
        var m: M = (1, 0, 0, 0, 1, 0)
        if p.rotationDegrees != 0 { m = mul(m, (cos(t), -sin(t), 0, sin(t), cos(t), 0)) }
        if p.rowShift != 0 || p.columnShift != 0 { m = mul(m, (1, 0, p.rowShift, 0, 1, p.columnShift)) }
        if p.shearDegrees != 0 { m = mul(m, (1, -sin(s), 0, 0, cos(s), 0)) }
        if p.rowZoom != 1 || p.columnZoom != 1 { m = mul(m, (p.rowZoom, 0, 0, 0, p.columnZoom, 0)) }
        let oRow = Double(height) / 2 - 0.5, oCol = Double(width) / 2 - 0.5
        m = mul(mul((1, 0, oRow, 0, 1, oCol), m), (1, 0, -oRow, 0, 1, -oCol))
        // (row, col) → (x = col, y = row): swap both the inputs and the outputs.
        var inverse = AffineTransform2D(matrix: (m.4, m.3, m.5, m.1, m.0, m.2))
        // Keras flips the warped image; as an inverse map, the flip is applied to output coordinates first.
        if p.flipVertical { inverse = .verticalFlip(height: height) + inverse }
        if p.flipHorizontal { inverse = .horizontalFlip(width: width) + inverse }
        return inverse
    }
}
