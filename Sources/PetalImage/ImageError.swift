import Foundation

/// Everything PetalImage throws: each case names the file or parameter at fault and the reason.
public enum ImageError: Error, LocalizedError, Equatable, Sendable {
    /// The file or buffer holds no bytes.
    case emptyFile(source: String)
    /// The data ends before the image does.
    case truncated(source: String, reason: String)
    /// The data is damaged or not what its header says.
    case corrupt(source: String, reason: String)
    /// The data is not JPEG or PNG (or a JPEG/PNG variant the codecs cannot read).
    case unsupportedFormat(source: String, reason: String)
    /// The header claims more pixels than the configured limit (a decompression bomb guard).
    case tooManyPixels(source: String, width: Int, height: Int, limit: Int)
    /// The file could not be read or written.
    case fileAccess(path: String, reason: String)
    /// The encoder refused the image.
    case encodingFailed(format: String, reason: String)
    /// A parameter is out of its valid range.
    case invalidParameter(name: String, reason: String)
    /// An image or buffer has the wrong shape for the operation.
    case shapeMismatch(parameter: String, expected: String, actual: String)

    /// One line: the file or parameter at fault, then the reason.
    public var errorDescription: String? {
        switch self {
        case .emptyFile(let source):
            return "\(source): the file is empty (0 bytes)"
        case .truncated(let source, let reason):
            return "\(source): truncated image data (\(reason))"
        case .corrupt(let source, let reason):
            return "\(source): corrupt image data (\(reason))"
        case .unsupportedFormat(let source, let reason):
            return "\(source): unsupported image format (\(reason))"
        case .tooManyPixels(let source, let width, let height, let limit):
            return "\(source): header claims \(width)×\(height) = \(width * height) pixels, more than the limit of \(limit) (possible decompression bomb)"
        case .fileAccess(let path, let reason):
            return "\(path): \(reason)"
        case .encodingFailed(let format, let reason):
            return "\(format) encoding failed: \(reason)"
        case .invalidParameter(let name, let reason):
            return "invalid \(name): \(reason)"
        case .shapeMismatch(let parameter, let expected, let actual):
            return "\(parameter) has the wrong shape: expected \(expected), got \(actual)"
        }
    }
}
