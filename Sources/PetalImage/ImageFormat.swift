// Format detection from magic bytes: a file's name says nothing reliable about what it holds.

/// The encoded image formats PetalImage reads and writes.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg
    case png

    /// Detects JPEG or PNG from the leading bytes.
    /// - Returns: the format, or `nil` when the bytes are neither.
    public static func detect(_ bytes: some Collection<UInt8>) -> ImageFormat? {
        let head = Array(bytes.prefix(8))
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        return nil
    }

    /// A human-readable guess at what unsupported bytes are, for error messages.
    static func describeUnknown(_ bytes: some Collection<UInt8>) -> String {
        let head = Array(bytes.prefix(12))
        func starts(_ s: [UInt8]) -> Bool { head.starts(with: s) }
        if starts(Array("GIF8".utf8)) { return "GIF files are not supported; convert to PNG" }
        if starts(Array("BM".utf8)) { return "BMP files are not supported; convert to PNG" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "TIFF files are not supported; convert to PNG" }
        if head.count >= 12, starts(Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            return "WebP files are not supported; convert to PNG"
        }
        if head.count >= 2, head[0] == 0xFF, head[1] == 0xD8 { return "JPEG start marker without a following segment" }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "damaged PNG signature" }
        let printable = head.allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) }
        if printable { return "no JPEG or PNG signature; the data looks like text" }
        let hex = head.prefix(8).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ")
        return "no JPEG or PNG signature (first bytes: \(hex))"
    }
}
