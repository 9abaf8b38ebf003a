// Reading and writing image files; the format is detected from the bytes, never from the file name.
import Foundation

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

    /// `.jpeg(quality: 90)` for `.jpg`/`.jpeg` names, `.png` otherwise.
    public static func forFileName(_ path: String) -> EncodeFormat {
        let ext = (path as NSString).pathExtension.lowercased()
        return ext == "jpg" || ext == "jpeg" ? .jpeg(quality: 90) : .png
    }
}

extension Image where Pixel == UInt8 {
    /// Reads and decodes a JPEG or PNG file (format detected from its bytes).
    /// - Parameters:
    ///   - path: the file to read.
    ///   - options: channel layout (`.rgb` by default), pixel limit, JPEG DCT scaling.
    /// - Throws: ``ImageError`` naming `path`: missing file, empty, truncated, corrupt, unsupported or oversized.
    public init(contentsOfFile path: String, options: DecodeOptions = DecodeOptions()) throws {
        self = try ImageCodec.decode(ImageCodec.readFile(path), source: path, options: options)
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
    ///   - path: destination file.
    ///   - format: output format; by default chosen from the file extension (`.jpg`/`.jpeg` → JPEG, else PNG).
    public func write(toFile path: String, format: EncodeFormat? = nil) throws {
        try writeBytes(encoded(as: format ?? .forFileName(path)), to: path)
    }
}

extension Image where Pixel == Float {
    /// Reads and decodes a JPEG or PNG file to values in [0, 1] (16-bit PNG files at full precision).
    /// - Throws: ``ImageError`` naming `path`.
    public init(contentsOfFile path: String, options: DecodeOptions = DecodeOptions()) throws {
        self = try ImageCodec.decodeFloat(ImageCodec.readFile(path), source: path, options: options)
    }

    /// Writes the image as PNG (16-bit for 1 or 3 channels; see ``PNGCodec/encode(_:)-(Image<Float>)``) or,
    /// for a `.jpg`/`.jpeg` name or `format`, as JPEG after ``toBytes()``.
    public func write(toFile path: String, format: EncodeFormat? = nil) throws {
        switch format ?? .forFileName(path) {
        case .png: try writeBytes(PNGCodec.encode(self), to: path)
        case .jpeg(let quality): try writeBytes(JPEGEncoder.encode(toBytes(), quality: quality), to: path)
        }
    }
}

extension Image where Pixel == Bool {
    /// Writes the mask as an 8-bit grey PNG (255 where set).
    public func write(toFile path: String) throws {
        try writeBytes(PNGCodec.encode(self), to: path)
    }
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    do {
        try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw ImageError.fileAccess(path: path, reason: "cannot be written (\(error.localizedDescription))")
    }
}
