// Image: a height × width × channels grid of pixels, stored row-major and channel-interleaved (HWC),
// the layout of numpy arrays in scikit-image, so index (y, x, c) maps to `pixels[(y * width + x) * channels + c]`.

/// A pixel component type an ``Image`` can hold: 8-bit (`UInt8`), `Float`, or `Bool` (masks).
public protocol PixelComponent: Sendable, Hashable {
    /// The value a new image is filled with: 0, 0.0 or false.
    static var blank: Self { get }
}

extension UInt8: PixelComponent { public static var blank: UInt8 { 0 } }
extension Float: PixelComponent { public static var blank: Float { 0 } }
extension Bool: PixelComponent { public static var blank: Bool { false } }

/// An image of `height` rows, `width` columns and `channels` components per pixel.
///
/// Pixels are row-major and channel-interleaved, as in scikit-image (`image[y, x, c]`).
/// `Image<UInt8>` holds 8-bit pictures, `Image<Float>` values usually in [0, 1],
/// and `Image<Bool>` binary masks.
public struct Image<Pixel: PixelComponent>: Sendable, Equatable {
    /// Number of rows.
    public let height: Int
    /// Number of columns.
    public let width: Int
    /// Components per pixel: 1 (grey or mask), 2 (grey + alpha), 3 (RGB) or 4 (RGBA).
    public let channels: Int
    /// The pixels, `height * width * channels` of them, in (y, x, c) order.
    public var pixels: [Pixel]

    /// Wraps existing pixels.
    /// - Parameters:
    ///   - height: Rows (≥ 1).
    ///   - width: Columns (≥ 1).
    ///   - channels: Components per pixel (≥ 1).
    ///   - pixels: `height * width * channels` values in (y, x, c) order.
    /// - Throws: ``ImageError/invalidParameter(name:reason:)`` for a non-positive size,
    ///   ``ImageError/shapeMismatch(parameter:expected:actual:)`` when the count is wrong.
    public init(height: Int, width: Int, channels: Int = 1, pixels: [Pixel]) throws {
        try Self.checkSize(height: height, width: width, channels: channels)
        guard pixels.count == height * width * channels else {
            throw ImageError.shapeMismatch(parameter: "pixels", expected: "\(height * width * channels) values (\(height)×\(width)×\(channels))",
                                           actual: "\(pixels.count) values")
        }
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with one value.
    /// - Parameters:
    ///   - height: Rows (≥ 1).
    ///   - width: Columns (≥ 1).
    ///   - channels: Components per pixel (≥ 1).
    ///   - value: The fill value (0 / false by default).
    public init(height: Int, width: Int, channels: Int = 1, repeating value: Pixel = .blank) {
        precondition(height > 0 && width > 0 && channels > 0, "Image size must be positive, got \(height)×\(width)×\(channels)")
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = Array(repeating: value, count: height * width * channels)
    }

    /// Internal initialiser for kernels that already produced a correctly sized buffer.
    @usableFromInline
    init(unchecked pixels: [Pixel], height: Int, width: Int, channels: Int) {
        assert(pixels.count == height * width * channels)
        self.height = height
        self.width = width
        self.channels = channels
        self.pixels = pixels
    }

    static func checkSize(height: Int, width: Int, channels: Int) throws {
        guard height > 0, width > 0, channels > 0 else {
            throw ImageError.invalidParameter(name: "height/width/channels", reason: "must all be positive, got \(height)×\(width)×\(channels)")
        }
    }

    /// The component at row `y`, column `x`, channel `c`.
    @inlinable
    public subscript(y: Int, x: Int, c: Int = 0) -> Pixel {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// Number of pixels (`height * width`), not counting channels.
    @inlinable
    public var pixelCount: Int { height * width }

    /// `true` when both images have the same height, width and channel count.
    public func hasSameShape<Other>(as other: Image<Other>) -> Bool {
        height == other.height && width == other.width && channels == other.channels
    }

    /// A copy with every component transformed by `body` (kept simple: not for hot loops).
    public func mapPixels<Result: PixelComponent>(_ body: (Pixel) -> Result) -> Image<Result> {
        Image<Result>(unchecked: pixels.map(body), height: height, width: width, channels: channels)
    }
}

/// An 8-bit image.
public typealias ByteImage = Image<UInt8>
/// A floating-point image, usually with values in [0, 1].
public typealias FloatImage = Image<Float>
/// A binary mask.
public typealias Mask = Image<Bool>
