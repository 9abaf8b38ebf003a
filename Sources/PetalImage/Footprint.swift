// Structuring elements ("footprints") identical to scikit-image's `disk`, `diamond`, `footprint_rectangle`
// (and the deprecated `square`), plus their decomposition into horizontal runs, which the morphology
// kernels use instead of visiting every footprint element per pixel.

/// A 2-D structuring element: which neighbours a morphology operation looks at.
public struct Footprint: Sendable, Equatable, CustomStringConvertible {
    /// Rows of the element.
    public let height: Int
    /// Columns of the element.
    public let width: Int
    /// `height * width` flags, row-major.
    public let elements: [Bool]

    /// A footprint from rows of flags.
    /// - Parameter rows: equally long, non-empty rows with at least one `true`.
    /// - Throws: ``ImageError/invalidParameter(name:reason:)`` for ragged, empty or all-false rows.
    public init(rows: [[Bool]]) throws {
        guard let first = rows.first, !first.isEmpty, rows.allSatisfy({ $0.count == first.count }) else {
            throw ImageError.invalidParameter(name: "footprint", reason: "rows must be non-empty and of equal length")
        }
        guard rows.contains(where: { $0.contains(true) }) else {
            throw ImageError.invalidParameter(name: "footprint", reason: "needs at least one true element")
        }
        self.init(height: rows.count, width: first.count, elements: rows.flatMap { $0 })
    }

    init(height: Int, width: Int, elements: [Bool]) {
        self.height = height
        self.width = width
        self.elements = elements
    }

    /// Element at row `y`, column `x`.
    public subscript(y: Int, x: Int) -> Bool { elements[y * width + x] }

    /// The rows, for display and comparison.
    public var rows: [[Bool]] { (0..<height).map { Array(elements[$0 * width..<($0 + 1) * width]) } }

    /// Rows of 0 and 1, one per line.
    public var description: String {
        rows.map { String($0.map { $0 ? "1" : "0" }) }.joined(separator: "\n")
    }

    /// scikit-image's `disk(radius)`: `x² + y² ≤ radius²` on a (2r+1)² grid.
    public static func disk(_ radius: Int) -> Footprint {
        precondition(radius >= 0, "disk radius must be ≥ 0")
        let n = 2 * radius + 1
        var e = [Bool](repeating: false, count: n * n)
        for y in 0..<n { for x in 0..<n { e[y * n + x] = (x - radius) * (x - radius) + (y - radius) * (y - radius) <= radius * radius } }
        return Footprint(height: n, width: n, elements: e)
    }

    /// scikit-image's `diamond(radius)`: `|x| + |y| ≤ radius`.
    public static func diamond(_ radius: Int) -> Footprint {
        precondition(radius >= 0, "diamond radius must be ≥ 0")
        let n = 2 * radius + 1
        var e = [Bool](repeating: false, count: n * n)
        for y in 0..<n { for x in 0..<n { e[y * n + x] = abs(x - radius) + abs(y - radius) <= radius } }
        return Footprint(height: n, width: n, elements: e)
    }

    /// scikit-image's `square(width)` / `footprint_rectangle((width, width))`: all ones.
    public static func square(_ width: Int) -> Footprint { rectangle(height: width, width: width) }

    /// scikit-image's `footprint_rectangle((height, width))`: all ones.
    public static func rectangle(height: Int, width: Int) -> Footprint {
        precondition(height > 0 && width > 0, "rectangle sides must be positive")
        return Footprint(height: height, width: width, elements: Array(repeating: true, count: height * width))
    }

    /// The element flipped in both directions (scikit-image's `mirror_footprint`).
    public func mirrored() -> Footprint {
        Footprint(height: height, width: width, elements: elements.reversed())
    }

    /// Horizontal runs of the element as offsets from a centre (`cy`, `cx`): the run covers
    /// (dy, dx ..< dx + length). Mirroring negates the offsets, giving the reflected element's runs.
    func runs(centreY cy: Int, centreX cx: Int, mirrored: Bool) -> [MorphologyRun] {
        var out: [MorphologyRun] = []
        for y in 0..<height {
            var x = 0
            while x < width {
                guard self[y, x] else { x += 1; continue }
                let start = x
                while x < width && self[y, x] { x += 1 }
                let length = x - start
                if mirrored {
                    out.append(MorphologyRun(dy: cy - y, dx: cx - (start + length - 1), length: length))
                } else {
                    out.append(MorphologyRun(dy: y - cy, dx: start - cx, length: length))
                }
            }
        }
        return out
    }
}

/// One horizontal run of footprint elements: offsets (dy, dx ..< dx + length) from the output pixel.
struct MorphologyRun: Equatable {
    var dy: Int
    var dx: Int
    var length: Int
}
