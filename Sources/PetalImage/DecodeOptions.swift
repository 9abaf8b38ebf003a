// Options shared by the JPEG and PNG decoders.

/// How to decode an image file.
public struct DecodeOptions: Sendable, Equatable {
    /// Which channels the decoded image has.
    public enum Channels: Sendable, Equatable {
        /// Always 3 channels: grey is replicated, alpha is dropped (Pillow's `convert("RGB")`), CMYK is converted.
        case rgb
        /// The file's own layout: 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); CMYK JPEGs become RGB.
        case native
    }

    /// Pillow's decompression-bomb warning threshold (`Image.MAX_IMAGE_PIXELS`), the default `maxPixels`.
    public static let defaultMaxPixels = 89_478_485

    /// Channel layout of the result; `.rgb` by default.
    public var channels: Channels
    /// Largest `width * height` a header may claim; larger files are refused before any pixel memory is allocated.
    public var maxPixels: Int
    /// JPEG only: decode at a reduced size with libjpeg-turbo's DCT scaling (much faster than decoding and resizing).
    /// Ignored for PNG.
    public var jpegScale: JPEGScale
    /// JPEG only: when set, overrides `jpegScale` with the smallest DCT scale whose output is at least this many
    /// rows and columns (a fast pre-shrink before a centre crop or resize). Ignored for PNG.
    public var minimumSize: (height: Int, width: Int)?
    /// When `false` (the default), libjpeg warnings such as premature end of data are errors, as in Pillow.
    public var acceptJPEGWarnings: Bool
    /// JPEG only: libjpeg-turbo's fast integer DCT and fast (non-"fancy") chroma upsampling. Faster, but the
    /// pixels differ from `djpeg`/Pillow by a few levels; off by default so that decoding matches them exactly.
    public var fastJPEG: Bool

    /// - Parameters:
    ///   - channels: `.rgb` (default) or `.native`.
    ///   - maxPixels: decompression-bomb limit on `width * height`.
    ///   - jpegScale: DCT scaling factor for JPEG files (`.full` by default).
    ///   - minimumSize: smallest acceptable decoded JPEG size; picks the DCT scale automatically.
    ///   - acceptJPEGWarnings: decode damaged-but-readable JPEGs instead of throwing.
    ///   - fastJPEG: trade exactness for speed (fast DCT and upsampling).
    public init(channels: Channels = .rgb, maxPixels: Int = DecodeOptions.defaultMaxPixels, jpegScale: JPEGScale = .full,
                minimumSize: (height: Int, width: Int)? = nil, acceptJPEGWarnings: Bool = false, fastJPEG: Bool = false) {
        self.channels = channels
        self.maxPixels = maxPixels
        self.jpegScale = jpegScale
        self.minimumSize = minimumSize
        self.acceptJPEGWarnings = acceptJPEGWarnings
        self.fastJPEG = fastJPEG
    }

    /// Field-by-field equality (written out because a tuple field is not Equatable).
    public static func == (a: DecodeOptions, b: DecodeOptions) -> Bool {
        a.channels == b.channels && a.maxPixels == b.maxPixels && a.jpegScale == b.jpegScale
            && a.minimumSize?.height == b.minimumSize?.height && a.minimumSize?.width == b.minimumSize?.width
            && a.acceptJPEGWarnings == b.acceptJPEGWarnings && a.fastJPEG == b.fastJPEG
    }
}

/// A JPEG DCT scaling factor `numerator / denominator`; libjpeg-turbo supports n/8 for n = 1…16.
public struct JPEGScale: Sendable, Equatable {
    /// Numerator of the scale.
    public let numerator: Int
    /// Denominator of the scale.
    public let denominator: Int

    /// - Parameters:
    ///   - numerator: 1…16 (with `denominator` 8), or an equivalent reduced fraction.
    ///   - denominator: e.g. 1, 2, 4 or 8.
    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// Full size.
    public static let full = JPEGScale(1, 1)
    /// Half the width and height (a quarter of the pixels).
    public static let half = JPEGScale(1, 2)
    /// A quarter of the width and height.
    public static let quarter = JPEGScale(1, 4)
    /// An eighth of the width and height (DC coefficients only: the fastest decode).
    public static let eighth = JPEGScale(1, 8)

    /// The scaled size of a dimension, rounded up as libjpeg does (`TJSCALED`).
    public func scaled(_ dimension: Int) -> Int { (dimension * numerator + denominator - 1) / denominator }

    /// Equal when the fractions are equal (1/2 == 4/8).
    public static func == (a: JPEGScale, b: JPEGScale) -> Bool { a.numerator * b.denominator == b.numerator * a.denominator }
}
