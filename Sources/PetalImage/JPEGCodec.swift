// JPEG decoding and encoding with libjpeg-turbo's TurboJPEG API (tjDecompressHeader3 / tjDecompress2 / tjCompress2).
// The header is read first so that the decompression-bomb limit is checked before any pixel memory is allocated.
import CJPEG

/// A reusable JPEG decoder. It owns one TurboJPEG handle: create one per thread and reuse it
/// (a data loader decodes thousands of files; a handle costs an allocation of libjpeg's state).
public final class JPEGDecoder {
    private let handle: tjhandle

    /// - Throws: ``ImageError/corrupt(source:reason:)`` if libjpeg-turbo cannot allocate a decoder.
    public init() throws {
        guard let h = tjInitDecompress() else {
            throw ImageError.corrupt(source: "JPEGDecoder", reason: "tjInitDecompress failed: \(String(cString: tjGetErrorStr2(nil)))")
        }
        handle = h
    }

    deinit { tjDestroy(handle) }

    /// The size a file would decode to, without decoding it.
    /// - Returns: full-resolution height and width.
    public func size(of bytes: UnsafeRawBufferPointer, source: String = "<memory>") throws -> (height: Int, width: Int) {
        let h = try header(bytes, source: source)
        return (h.height, h.width)
    }

    private struct Header { var width: Int; var height: Int; var colourSpace: Int32 }

    private func header(_ bytes: UnsafeRawBufferPointer, source: String) throws -> Header {
        guard !bytes.isEmpty else { throw ImageError.emptyFile(source: source) }
        guard ImageFormat.detect(bytes) == .jpeg else {
            throw ImageError.unsupportedFormat(source: source, reason: ImageFormat.describeUnknown(bytes))
        }
        var w: Int32 = 0, h: Int32 = 0, subsamp: Int32 = 0, cs: Int32 = 0
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        if tjDecompressHeader3(handle, base, UInt(bytes.count), &w, &h, &subsamp, &cs) != 0 {
            throw classify(source: source, bytes: bytes)
        }
        return Header(width: Int(w), height: Int(h), colourSpace: cs)
    }

    /// Decodes a JPEG file's bytes.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - source: the file name, used in error messages.
    ///   - options: channel layout, pixel limit and DCT scaling.
    /// - Returns: an 8-bit image with 1 or 3 channels (`.native`) or 3 channels (`.rgb`).
    /// - Throws: ``ImageError`` naming `source` for empty, truncated, corrupt, non-JPEG or oversized data.
    public func decode(_ bytes: UnsafeRawBufferPointer, source: String = "<memory>", options: DecodeOptions = DecodeOptions()) throws -> Image<UInt8> {
        let head = try header(bytes, source: source)
        guard head.width > 0, head.height > 0 else {
            if !Self.hasEndMarker(bytes) { throw ImageError.truncated(source: source, reason: "the data ends before the frame header") }
            throw ImageError.corrupt(source: source, reason: "header claims a \(head.width)×\(head.height) image")
        }
        guard head.width.multipliedReportingOverflow(by: head.height).partialValue <= options.maxPixels,
              head.width <= options.maxPixels, head.height <= options.maxPixels else {
            throw ImageError.tooManyPixels(source: source, width: head.width, height: head.height, limit: options.maxPixels)
        }
        let scale = try chooseScale(width: head.width, height: head.height, options: options)
        let outW = scale.scaled(head.width), outH = scale.scaled(head.height)

        let isGrey = head.colourSpace == Int32(TJCS_GRAY.rawValue)
        let isCMYK = head.colourSpace == Int32(TJCS_CMYK.rawValue) || head.colourSpace == Int32(TJCS_YCCK.rawValue)
        let decodeChannels = isCMYK ? 4 : (isGrey ? 1 : 3)
        let pixelFormat = isCMYK ? TJPF_CMYK : (isGrey ? TJPF_GRAY : TJPF_RGB)
        var out = [UInt8](repeating: 0, count: outW * outH * decodeChannels)
        // Default flags: accurate integer DCT and fancy upsampling, the same output as `djpeg` and Pillow.
        var flags: Int32 = options.acceptJPEGWarnings ? 0 : Int32(TJFLAG_STOPONWARNING)
        if options.fastJPEG { flags |= Int32(TJFLAG_FASTDCT) | Int32(TJFLAG_FASTUPSAMPLE) }
        let rc = out.withUnsafeMutableBufferPointer { dst in
            tjDecompress2(handle, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(bytes.count),
                          dst.baseAddress, Int32(outW), 0, Int32(outH), Int32(pixelFormat.rawValue), flags)
        }
        if rc != 0 {
            let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
            if !(isWarning && options.acceptJPEGWarnings) { throw classify(source: source, bytes: bytes) }
        }
        var image = Image<UInt8>(unchecked: out, height: outH, width: outW, channels: decodeChannels)
        if isCMYK { image = Self.invertedCMYKToRGB(image) }
        if options.channels == .rgb && image.channels == 1 { image = image.replicatedToRGB() }
        return image
    }

    private func chooseScale(width: Int, height: Int, options: DecodeOptions) throws -> JPEGScale {
        var count: Int32 = 0
        guard let list = tjGetScalingFactors(&count) else { return .full }
        let factors = (0..<Int(count)).map { JPEGScale(Int(list[$0].num), Int(list[$0].denom)) }
        if let minimum = options.minimumSize {
            // Smallest output that still covers the requested size; full size when nothing smaller does.
            let fitting = factors.filter { $0.scaled(width) >= minimum.width && $0.scaled(height) >= minimum.height && $0.numerator <= $0.denominator }
            return fitting.min { $0.scaled(width) * $0.scaled(height) < $1.scaled(width) * $1.scaled(height) } ?? .full
        }
        guard factors.contains(options.jpegScale) else {
            throw ImageError.invalidParameter(name: "jpegScale", reason: "\(options.jpegScale.numerator)/\(options.jpegScale.denominator) is not a libjpeg-turbo scaling factor (use n/8, n = 1…16)")
        }
        return options.jpegScale
    }

    /// A complete JPEG ends with an EOI marker (FF D9), possibly followed by a little padding.
    static func hasEndMarker(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let tail = bytes.suffix(64)
        return zip(tail, tail.dropFirst()).contains { $0 == 0xFF && $1 == 0xD9 }
    }

    /// libjpeg's messages do not separate "the file stops early" from "the data is damaged"
    /// ("premature end of data segment" means either), so a missing end marker decides truncation.
    private func classify(source: String, bytes: UnsafeRawBufferPointer) -> ImageError {
        let message = String(cString: tjGetErrorStr2(handle))
        let lower = message.lowercased()
        if !Self.hasEndMarker(bytes) { return .truncated(source: source, reason: message) }
        if lower.contains("unsupported") { return .unsupportedFormat(source: source, reason: message) }
        return .corrupt(source: source, reason: message)
    }

    /// Adobe CMYK JPEGs store inverted ink values, so RGB = C·K / 255 on the stored values
    /// (Pillow's CMYK→RGB conversion after it undoes the inversion).
    static func invertedCMYKToRGB(_ cmyk: Image<UInt8>) -> Image<UInt8> {
        var out = [UInt8](repeating: 0, count: cmyk.pixelCount * 3)
        for i in 0..<cmyk.pixelCount {
            let k = Int(cmyk.pixels[4 * i + 3])
            for c in 0..<3 {
                // MULDIV255 with rounding, as Pillow does.
                let t = Int(cmyk.pixels[4 * i + c]) * k + 128
                out[3 * i + c] = UInt8(((t >> 8) + t) >> 8)
            }
        }
        return Image<UInt8>(unchecked: out, height: cmyk.height, width: cmyk.width, channels: 3)
    }
}

/// Chroma subsampling for JPEG encoding.
public enum JPEGSubsampling: Sendable {
    /// No subsampling (best colour fidelity).
    case s444
    /// Half horizontal chroma resolution.
    case s422
    /// Half horizontal and vertical chroma resolution (Pillow's default).
    case s420
}

/// JPEG encoding with TurboJPEG.
public enum JPEGEncoder {
    /// Encodes a 1-channel (grey) or 3-channel (RGB) 8-bit image.
    /// - Parameters:
    ///   - image: grey or RGB pixels.
    ///   - quality: 1…100 (libjpeg's quality scale).
    ///   - subsampling: chroma subsampling for RGB images.
    /// - Returns: the JPEG file's bytes.
    public static func encode(_ image: Image<UInt8>, quality: Int = 90, subsampling: JPEGSubsampling = .s420) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw ImageError.invalidParameter(name: "quality", reason: "must be 1…100, got \(quality)")
        }
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageError.encodingFailed(format: "JPEG", reason: "needs 1 or 3 channels, got \(image.channels); drop the alpha channel first")
        }
        guard let handle = tjInitCompress() else {
            throw ImageError.encodingFailed(format: "JPEG", reason: String(cString: tjGetErrorStr2(nil)))
        }
        defer { tjDestroy(handle) }
        let grey = image.channels == 1
        let samp: TJSAMP = grey ? TJSAMP_GRAY : (subsampling == .s444 ? TJSAMP_444 : subsampling == .s422 ? TJSAMP_422 : TJSAMP_420)
        var jpegBuf: UnsafeMutablePointer<UInt8>? = nil
        var jpegSize: UInt = 0
        let rc = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32((grey ? TJPF_GRAY : TJPF_RGB).rawValue), &jpegBuf, &jpegSize,
                        Int32(samp.rawValue), Int32(quality), Int32(TJFLAG_ACCURATEDCT))
        }
        defer { if let jpegBuf { tjFree(jpegBuf) } }
        guard rc == 0, let jpegBuf else {
            throw ImageError.encodingFailed(format: "JPEG", reason: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: jpegBuf, count: Int(jpegSize)))
    }
}
