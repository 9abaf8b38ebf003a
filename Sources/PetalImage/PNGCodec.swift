// PNG decoding and encoding with libpng's simplified API (png_image_begin_read_from_memory,
// png_image_finish_read, png_image_write_to_memory). The classic libpng API reports errors with
// longjmp, which Swift cannot catch; the simplified API returns an error code and a message instead.
//
// Colour handling, as libpng's simplified API defines it: 8-bit files are read as sRGB values unchanged;
// 16-bit files are read as linear 16-bit values unchanged (libpng premultiplies alpha for 16-bit output,
// which is undone here). A gAMA chunk that disagrees with those defaults makes libpng convert the values.
import CPNG

/// PNG encoding and decoding.
public enum PNGCodec {
    /// Decodes a PNG file (grey, grey + alpha, RGB, RGBA, palette, 1- to 16-bit) to 8-bit components.
    /// 16-bit components are rounded to 8 bits (`(v · 255 + 32767) / 65535`).
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - source: the file name, used in error messages.
    ///   - options: channel layout and pixel limit (`jpegScale` and `minimumSize` do not apply).
    /// - Throws: ``ImageError`` naming `source` for empty, truncated, corrupt, non-PNG or oversized data.
    public static func decode(_ bytes: UnsafeRawBufferPointer, source: String = "<memory>", options: DecodeOptions = DecodeOptions()) throws -> Image<UInt8> {
        let raw = try decodeRaw(bytes, source: source, options: options)
        let image: Image<UInt8>
        switch raw {
        case .eight(let img): image = img
        case .sixteen(let values, let h, let w, let c):
            let out = values.map { UInt8((UInt32($0) * 255 + 32767) / 65535) }
            image = Image(unchecked: out, height: h, width: w, channels: c)
        }
        return options.channels == .rgb ? image.replicatedToRGB() : image
    }

    /// Decodes a PNG file to Float components in [0, 1]: `v / 255` for 8-bit files, `v / 65535` for 16-bit ones,
    /// so a 16-bit file keeps its full precision.
    public static func decodeFloat(_ bytes: UnsafeRawBufferPointer, source: String = "<memory>", options: DecodeOptions = DecodeOptions()) throws -> Image<Float> {
        let raw = try decodeRaw(bytes, source: source, options: options)
        let image: Image<Float>
        switch raw {
        case .eight(let img): image = img.toFloat()
        case .sixteen(let values, let h, let w, let c):
            image = Image(unchecked: values.map { Float($0) / 65535 }, height: h, width: w, channels: c)
        }
        return options.channels == .rgb ? image.replicatedToRGB() : image
    }

    private enum Raw {
        case eight(Image<UInt8>)
        case sixteen([UInt16], Int, Int, Int)
    }

    private static func message(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { buf in
            String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func readError(_ image: png_image, source: String) -> ImageError {
        let text = message(image)
        let lower = text.lowercased()
        if lower.contains("not enough") || lower.contains("end of") || lower.contains("truncat") || lower.contains("eof") || lower.contains("read beyond") {
            return .truncated(source: source, reason: text)
        }
        return .corrupt(source: source, reason: text.isEmpty ? "libpng reported an error" : text)
    }

    private static func decodeRaw(_ bytes: UnsafeRawBufferPointer, source: String, options: DecodeOptions) throws -> Raw {
        guard !bytes.isEmpty else { throw ImageError.emptyFile(source: source) }
        guard ImageFormat.detect(bytes) == .png else {
            throw ImageError.unsupportedFormat(source: source, reason: ImageFormat.describeUnknown(bytes))
        }
        // The signature plus the IHDR chunk take 33 bytes; anything shorter cannot even hold a header.
        guard bytes.count >= 33 else { throw ImageError.truncated(source: source, reason: "\(bytes.count) bytes, shorter than a PNG header") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            throw readError(image, source: source)
        }
        let width = Int(image.width), height = Int(image.height)
        guard width.multipliedReportingOverflow(by: height).partialValue <= options.maxPixels,
              width <= options.maxPixels, height <= options.maxPixels else {
            png_image_free(&image)
            throw ImageError.tooManyPixels(source: source, width: width, height: height, limit: options.maxPixels)
        }
        let native = image.format
        let hasAlpha = native & PNG_FORMAT_FLAG_ALPHA != 0
        let hasColour = native & PNG_FORMAT_FLAG_COLOR != 0
        let sixteen = native & PNG_FORMAT_FLAG_LINEAR != 0
        let channels = (hasColour ? 3 : 1) + (hasAlpha ? 1 : 0)
        image.format = (hasAlpha ? PNG_FORMAT_FLAG_ALPHA : 0) | (hasColour ? PNG_FORMAT_FLAG_COLOR : 0) | (sixteen ? PNG_FORMAT_FLAG_LINEAR : 0)
        let count = width * height * channels
        if sixteen {
            var values = [UInt16](repeating: 0, count: count)
            let ok = values.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { png_image_free(&image); throw readError(image, source: source) }
            if hasAlpha { unpremultiply(&values, channels: channels) }
            return .sixteen(values, height, width, channels)
        }
        var values = [UInt8](repeating: 0, count: count)
        let ok = values.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { png_image_free(&image); throw readError(image, source: source) }
        return .eight(Image(unchecked: values, height: height, width: width, channels: channels))
    }

    /// libpng hands 16-bit colour with alpha premultiplied; restore straight alpha.
    private static func unpremultiply(_ values: inout [UInt16], channels: Int) {
        let colour = channels - 1
        for p in stride(from: 0, to: values.count, by: channels) {
            let a = UInt32(values[p + colour])
            for c in 0..<colour {
                values[p + c] = a == 0 ? 0 : UInt16(min(65535, (UInt32(values[p + c]) * 65535 + a / 2) / a))
            }
        }
    }

    /// Encodes an 8-bit image with 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) channels.
    /// - Returns: the PNG file's bytes; decoding them gives back exactly the same pixels.
    public static func encode(_ image: Image<UInt8>) throws -> [UInt8] {
        try image.pixels.withUnsafeBytes { try write($0, width: image.width, height: image.height, channels: image.channels, sixteenBit: false) }
    }

    /// Encodes a mask as an 8-bit grey PNG (255 where set, 0 elsewhere).
    public static func encode(_ mask: Image<Bool>) throws -> [UInt8] { try encode(mask.toBytes()) }

    /// Encodes a Float image as a 16-bit PNG (values clipped to [0, 1], times 65535, rounded) when it has
    /// 1 or 3 channels; with an alpha channel (2 or 4), as 8-bit, because libpng's 16-bit writer expects
    /// premultiplied alpha and would round colours twice.
    /// ``decodeFloat(_:source:options:)`` returns the same values to within 1/131070 (1- or 3-channel images).
    public static func encode(_ image: Image<Float>) throws -> [UInt8] {
        if image.channels == 2 || image.channels == 4 { return try encode(image.toBytes()) }
        let values = image.pixels.map { UInt16((min(max($0, 0), 1) * 65535).rounded()) }
        return try values.withUnsafeBytes { try write($0, width: image.width, height: image.height, channels: image.channels, sixteenBit: true) }
    }

    private static func write(_ buffer: UnsafeRawBufferPointer, width: Int, height: Int, channels: Int, sixteenBit: Bool) throws -> [UInt8] {
        guard (1...4).contains(channels) else {
            throw ImageError.encodingFailed(format: "PNG", reason: "needs 1–4 channels, got \(channels)")
        }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = (channels >= 3 ? PNG_FORMAT_FLAG_COLOR : 0) | (channels % 2 == 0 ? PNG_FORMAT_FLAG_ALPHA : 0)
            | (sixteenBit ? PNG_FORMAT_FLAG_LINEAR : 0)
        var size: png_alloc_size_t = 0
        // First call measures, second call writes.
        guard png_image_write_to_memory(&image, nil, &size, 0, buffer.baseAddress, 0, nil) != 0 else {
            throw ImageError.encodingFailed(format: "PNG", reason: message(image))
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, buffer.baseAddress, 0, nil) }
        guard ok != 0 else { throw ImageError.encodingFailed(format: "PNG", reason: message(image)) }
        return Array(out.prefix(Int(size)))
    }
}
