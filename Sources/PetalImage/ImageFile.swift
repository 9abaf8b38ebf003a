// Reading and writing image files; the format is detected from the bytes, never from the file name.
import Foundation
import PetalFiles

/// Decoding of encoded images from memory, whichever of the supported formats they are.
public enum ImageCodec {
    /// Decodes JPEG or PNG bytes, detected from their signature.
    /// - Parameters:
    ///   - bytes: the whole encoded file (`Data` or `[UInt8]`).
    ///   - source: a name for error messages (usually the file path).
    ///   - options: channel layout, pixel limit, JPEG DCT scaling.
    /// - Throws: ``ImageError`` naming `source` and the reason.
    public static func decode(_ bytes: some ContiguousBytes, source: String = "<memory>", options: DecodeOptions = DecodeOptions()) throws -> Image<UInt8> {
        try bytes.withUnsafeBytes { buf in
            guard !buf.isEmpty else { throw ImageError.emptyFile(source: source) }
            switch ImageFormat.detect(buf) {
            case .jpeg: return try JPEGDecoder().decode(buf, source: source, options: options)
            case .png: return try PNGCodec.decode(buf, source: source, options: options)
            case nil: throw ImageError.unsupportedFormat(source: source, reason: ImageFormat.describeUnknown(buf))
            }
        }
    }

    /// Decodes JPEG or PNG bytes to Float values in [0, 1]; 16-bit PNG files keep their full precision.
    public static func decodeFloat(_ bytes: some ContiguousBytes, source: String = "<memory>", options: DecodeOptions = DecodeOptions()) throws -> Image<Float> {
        try bytes.withUnsafeBytes { buf in
            if ImageFormat.detect(buf) == .png { return try PNGCodec.decodeFloat(buf, source: source, options: options) }
            return try decode(buf, source: source, options: options).toFloat()
        }
    }

    /// Reads a whole file.
    static func readFile(_ path: String) throws -> Data {
        do { return try FileSystem.read(path) } catch let e as FileError {
            throw ImageError.fileAccess(path: path, reason: e.reason)
        }
    }
}

/// An output format with its settings.
public enum EncodeFormat: Sendable, Equatable {
    /// Lossless PNG.
    case png
    /// JPEG at a quality of 1…100.
    case jpeg(quality: Int)

    /// `.jpeg(quality: 90)` for `.jpg`/`.jpeg` files, `.png` otherwise.
    public static func forFile(_ url: URL) -> EncodeFormat {
        let ext = url.pathExtension.lowercased()
        return ext == "jpg" || ext == "jpeg" ? .jpeg(quality: 90) : .png
    }
}

extension Image where Pixel == UInt8 {
    /// Reads and decodes a JPEG or PNG file (format detected from its bytes).
    /// - Parameters:
    ///   - url: the file to read.
    ///   - options: channel layout (`.rgb` by default), pixel limit, JPEG DCT scaling.
    /// - Throws: ``ImageError`` naming the file: missing, empty, truncated, corrupt, unsupported or oversized.
    public init(contentsOf url: URL, options: DecodeOptions = DecodeOptions()) throws {
        self = try ImageCodec.decode(ImageCodec.readFile(url.path), source: url.path, options: options)
    }

    /// Encodes the image.
    /// - Parameter format: `.png` or `.jpeg(quality:)`.
    public func encoded(as format: EncodeFormat) throws -> [UInt8] {
        switch format {
        case .png: return try PNGCodec.encode(self)
        case .jpeg(let quality): return try JPEGEncoder.encode(self, quality: quality)
        }
    }

    /// Encodes and writes the image.
    /// - Parameters:
    ///   - url: destination file, written atomically.
    ///   - format: output format; by default chosen from the file extension (`.jpg`/`.jpeg` → JPEG, else PNG).
    public func write(to url: URL, format: EncodeFormat? = nil) throws {
        try writeBytes(encoded(as: format ?? .forFile(url)), to: url)
    }
}

extension Image where Pixel == Float {
    /// Reads and decodes a JPEG or PNG file to values in [0, 1] (16-bit PNG files at full precision).
    /// - Throws: ``ImageError`` naming the file.
    public init(contentsOf url: URL, options: DecodeOptions = DecodeOptions()) throws {
        self = try ImageCodec.decodeFloat(ImageCodec.readFile(url.path), source: url.path, options: options)
    }

    /// Writes the image as PNG (16-bit for 1 or 3 channels; see ``PNGCodec/encode(_:)-(Image<Float>)``) or,
    /// for a `.jpg`/`.jpeg` name or `format`, as JPEG after ``toBytes()``.
    public func write(to url: URL, format: EncodeFormat? = nil) throws {
        switch format ?? .forFile(url) {
        case .png: try writeBytes(PNGCodec.encode(self), to: url)
        case .jpeg(let quality): try writeBytes(JPEGEncoder.encode(toBytes(), quality: quality), to: url)
        }
    }
}

extension Image where Pixel == Bool {
    /// Writes the mask as an 8-bit grey PNG (255 where set).
    public func write(to url: URL) throws {
        try writeBytes(PNGCodec.encode(self), to: url)
    }
}

func writeBytes(_ bytes: [UInt8], to url: URL) throws {
    do {
        try AtomicFile.write(Data(bytes), to: url)
    } catch let e as FileError {
        throw ImageError.fileAccess(path: url.path, reason: "cannot be written (\(e.reason))")
    }
}
