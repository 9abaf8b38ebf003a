// 2-D affine transforms with scikit-image 0.26's parameterisation (`skimage.transform.AffineTransform`).
// Coordinates are (x = column, y = row). The matrix is [[a0, a1, a2], [b0, b1, b2], [0, 0, 1]] with
//   a0 =  sx · (cos r + tan(shear_y) · sin r)    a1 = −sy · (tan(shear_x) · cos r + sin r)    a2 = tx
//   b0 =  sx · (sin r − tan(shear_y) · cos r)    b1 = −sy · (tan(shear_x) · sin r − cos r)    b2 = ty
// (rotation and shear angles in radians; in image coordinates, y down, a positive rotation turns the
// picture clockwise on screen). Composition follows skimage's `+`: `a + b` applies `a` first, then `b`
// (matrix b · a). scikit-image changed these conventions between releases; the fixtures pin 0.26.0.
// Named AffineTransform2D, not AffineTransform, because Foundation has an `AffineTransform` too and every
// file importing both modules would have to spell the module name.
import Foundation

/// An affine map of image coordinates (x = column, y = row), scikit-image's `AffineTransform`.
public struct AffineTransform2D: Sendable, Equatable, CustomStringConvertible {
    /// Top two rows of the 3 × 3 matrix: x' = a0·x + a1·y + a2, y' = b0·x + b1·y + b2.
    public var a0, a1, a2, b0, b1, b2: Double

    /// The identity.
    public static let identity = AffineTransform2D(matrix: (1, 0, 0, 0, 1, 0))

    /// A transform from scikit-image's parameters, composed in its order: scale, shear, rotation, translation.
    /// - Parameters:
    ///   - scaleX: scale along x (columns).
    ///   - scaleY: scale along y (rows).
    ///   - rotation: angle in radians.
    ///   - shearX: shear angle of the x axis in radians (scikit-image's scalar `shear`).
    ///   - shearY: shear angle of the y axis in radians.
    ///   - translationX: shift along x (columns).
    ///   - translationY: shift along y (rows).
    public init(scaleX: Double = 1, scaleY: Double = 1, rotation: Double = 0, shearX: Double = 0, shearY: Double = 0,
                translationX: Double = 0, translationY: Double = 0) {
        let (c, s) = (cos(rotation), sin(rotation))
        let (tx, ty) = (tan(shearX), tan(shearY))
        a0 = scaleX * (c + ty * s)
        a1 = -scaleY * (tx * c + s)
        a2 = translationX
        b0 = scaleX * (s - ty * c)
        b1 = -scaleY * (tx * s - c)
        b2 = translationY
    }

    /// A transform with one scale factor for both axes.
    public init(scale: Double, rotation: Double = 0, shear: Double = 0, translationX: Double = 0, translationY: Double = 0) {
        self.init(scaleX: scale, scaleY: scale, rotation: rotation, shearX: shear, translationX: translationX, translationY: translationY)
    }

    /// A transform from its matrix entries (a0, a1, a2, b0, b1, b2).
    public init(matrix m: (Double, Double, Double, Double, Double, Double)) {
        (a0, a1, a2, b0, b1, b2) = m
    }

    /// A transform from a 3 × 3 (or 2 × 3) matrix given as rows.
    /// - Throws: ``ImageError/invalidParameter(name:reason:)`` when the shape is wrong or the last row is not [0, 0, 1].
    public init(rows: [[Double]]) throws {
        guard rows.count == 2 || rows.count == 3, rows.allSatisfy({ $0.count == 3 }),
              rows.count == 2 || rows[2] == [0, 0, 1] else {
            throw ImageError.invalidParameter(name: "matrix", reason: "expected 2×3 or 3×3 rows with last row [0, 0, 1], got \(rows)")
        }
        self.init(matrix: (rows[0][0], rows[0][1], rows[0][2], rows[1][0], rows[1][1], rows[1][2]))
    }

    /// A pure translation by (`x`, `y`).
    public static func translation(x: Double, y: Double) -> AffineTransform2D { AffineTransform2D(translationX: x, translationY: y) }

    /// Mirror left ↔ right within a `width`-column image: x → (width − 1) − x. Composed into an augmentation
    /// transform, it makes a flip part of the same single warp.
    public static func horizontalFlip(width: Int) -> AffineTransform2D {
        AffineTransform2D(matrix: (-1, 0, Double(width - 1), 0, 1, 0))
    }

    /// Mirror top ↔ bottom within a `height`-row image: y → (height − 1) − y.
    public static func verticalFlip(height: Int) -> AffineTransform2D {
        AffineTransform2D(matrix: (1, 0, 0, 0, -1, Double(height - 1)))
    }

    /// The 3 × 3 matrix, rows first (scikit-image's `params`).
    public var matrix: [[Double]] { [[a0, a1, a2], [b0, b1, b2], [0, 0, 1]] }

    /// The determinant of the linear part; zero means the transform cannot be inverted.
    public var determinant: Double { a0 * b1 - a1 * b0 }

    /// The inverse map (scikit-image's `.inverse`). A singular transform gives non-finite entries.
    public var inverse: AffineTransform2D {
        let d = determinant
        let i0 = b1 / d, i1 = -a1 / d, i3 = -b0 / d, i4 = a0 / d
        return AffineTransform2D(matrix: (i0, i1, -(i0 * a2 + i1 * b2), i3, i4, -(i3 * a2 + i4 * b2)))
    }

    /// `self` followed by `next` (scikit-image's `self + next`).
    public func then(_ next: AffineTransform2D) -> AffineTransform2D {
        AffineTransform2D(matrix: (next.a0 * a0 + next.a1 * b0, next.a0 * a1 + next.a1 * b1, next.a0 * a2 + next.a1 * b2 + next.a2,
                                 next.b0 * a0 + next.b1 * b0, next.b0 * a1 + next.b1 * b1, next.b0 * a2 + next.b1 * b2 + next.b2))
    }

    /// scikit-image's `+`: `first + second` applies `first`, then `second`.
    public static func + (first: AffineTransform2D, second: AffineTransform2D) -> AffineTransform2D { first.then(second) }

    /// Maps a point.
    public func apply(x: Double, y: Double) -> (x: Double, y: Double) {
        (a0 * x + a1 * y + a2, b0 * x + b1 * y + b2)
    }

    /// The image centre in (x, y) pixel coordinates: ((width − 1) / 2, (height − 1) / 2), scikit-image's
    /// `rotate` centre.
    public static func centre(height: Int, width: Int) -> (x: Double, y: Double) {
        (Double(width - 1) / 2, Double(height - 1) / 2)
    }

    /// The point the tutorial turns about: `shift_x, shift_y = image.shape[0]/2, image.shape[1]/2` used as (x, y),
    /// that is (height / 2, width / 2), rows and columns swapped as the tutorial writes it (its pictures show this).
    public static func tutorialCentre(height: Int, width: Int) -> (x: Double, y: Double) {
        (Double(height) / 2, Double(width) / 2)
    }

    /// This transform performed about the point (x, y) instead of the origin: translate(−point) + self +
    /// translate(+point), in scikit-image's `+` order (the tutorial's `matrix_to_topleft + op + matrix_to_center`).
    public func about(x: Double, y: Double) -> AffineTransform2D {
        .translation(x: -x, y: -y) + self + .translation(x: x, y: y)
    }

    /// This transform performed about the centre of a `height × width` image (``centre(height:width:)``).
    public func aboutCentre(height: Int, width: Int) -> AffineTransform2D {
        let (cx, cy) = Self.centre(height: height, width: width)
        return about(x: cx, y: cy)
    }

    /// The tutorial's affine pictures for a `height × width` image, as its notebook computes them: each matrix is
    /// passed to scikit-image's `warp`, which reads it as the inverse map (output pixel → input pixel), so show them
    /// with `warped(inverseMap:)`. Rotation, zoom and shear turn about ``tutorialCentre(height:width:)``. The defaults
    /// are the tutorial's values (45°, scales 2 and ½, translation (50, 50), shear 45°).
    public static func tutorialCases(height: Int, width: Int, rotationDegrees: Double = 45, zoom: Double = 2, shift: Double = 50,
                                     shearDegrees: Double = 45) -> [(name: String, caption: String, inverseMap: AffineTransform2D)] {
        let (x, y) = tutorialCentre(height: height, width: width)
        func g(_ v: Double) -> String { String(format: "%g", v) }
        return [("rotate\(g(rotationDegrees))", "rotation \(g(rotationDegrees))°", AffineTransform2D(rotation: rotationDegrees * .pi / 180).about(x: x, y: y)),
                ("zoom_out_scale\(g(zoom))", "scale (\(g(zoom)), \(g(zoom)))", AffineTransform2D(scale: zoom).about(x: x, y: y)),
                ("zoom_in_scale\(g(1 / zoom))", "scale (\(g(1 / zoom)), \(g(1 / zoom)))", AffineTransform2D(scale: 1 / zoom).about(x: x, y: y)),
                ("translate\(g(shift))", "translation (\(g(shift)), \(g(shift)))", .translation(x: shift, y: shift)),
                ("shear\(g(shearDegrees))", "shear \(g(shearDegrees))°", AffineTransform2D(shearX: shearDegrees * .pi / 180).about(x: x, y: y))]
    }

    /// The top two matrix rows.
    public var description: String {
        String(format: "AffineTransform2D[[%.6g, %.6g, %.6g], [%.6g, %.6g, %.6g]]", a0, a1, a2, b0, b1, b2)
    }
}
