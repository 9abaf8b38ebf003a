// JPEG and PNG decoding against libjpeg-turbo's djpeg / the pixels the fixture script wrote, and encode → decode round trips.
import Foundation
import Testing
@testable import PetalImage

@Suite struct JPEGDecodingTests {
    @Test func photoEqualsDjpeg() throws {
        let photo = try Fixture.photo()
        expectMatches(photo, Fixture["jpeg"]["full"]!, "full-size decode")
    }

    @Test(arguments: [("1/2", JPEGScale.half), ("1/4", .quarter), ("1/8", .eighth), ("3/8", JPEGScale(3, 8))])
    func dctScaledDecodeEqualsDjpegScale(label: String, scale: JPEGScale) throws {
        let image = try Image<UInt8>(contentsOf: Fixture.url("image_rose_102501987.jpg"), options: DecodeOptions(jpegScale: scale))
        expectMatches(image, Fixture["jpeg"][label]!, "decode at \(label)")
    }

    @Test func minimumSizePicksSmallestCoveringScale() throws {
        // 240 × 320 photo: 1/2 gives 120 × 160 (covers 100 × 100), 3/8 gives 90 × 120 (does not).
        let image = try Image<UInt8>(contentsOf: Fixture.url("image_rose_102501987.jpg"), options: DecodeOptions(minimumSize: (100, 100)))
        #expect(image.height == 120 && image.width == 160)
        expectMatches(image, Fixture["jpeg"]["1/2"]!, "minimumSize decode")
    }

    @Test(arguments: ["image_crop_420.jpg", "image_crop_progressive.jpg", "image_crop_grey.jpg", "image_crop_cmyk.jpg"])
    func variantsEqualReference(file: String) throws {
        let native = try ImageCodec.decode(Fixture.data(file), source: file, options: DecodeOptions(channels: .native))
        expectMatches(native, (Fixture["jpeg"]["variants"] as! [String: Any])[file]!, file)
        let rgb = try ImageCodec.decode(Fixture.data(file), source: file)
        #expect(rgb.channels == 3)
        #expect(rgb.channel(0) == native.channel(0))
    }

    @Test func fastDecodeIsCloseButNotExact() throws {
        let exact = try Fixture.photo()
        let fast = try Image<UInt8>(contentsOf: Fixture.url("image_rose_102501987.jpg"), options: DecodeOptions(fastJPEG: true))
        #expect(fast.hasSameShape(as: exact))
        let meanError = zip(fast.pixels, exact.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(exact.pixels.count)
        #expect(meanError > 0 && meanError < 1.5, "mean absolute difference \(meanError)")
        let asFloat = try Image<Float>(contentsOf: Fixture.url("image_rose_102501987.jpg"))
        #expect(asFloat == exact.toFloat())
    }

    @Test func jpegEncodeRoundTripIsClose() throws {
        let photo = try Fixture.photo()
        let bytes = try photo.encoded(as: .jpeg(quality: 95))
        #expect(ImageFormat.detect(bytes) == .jpeg)
        let back = try ImageCodec.decode(bytes)
        #expect(back.hasSameShape(as: photo))
        let meanError = zip(back.pixels, photo.pixels).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(photo.pixels.count)
        #expect(meanError < 2.5, "mean absolute error \(meanError) after a quality-95 round trip")
        let low = try JPEGEncoder.encode(photo, quality: 20)
        #expect(low.count < bytes.count / 2, "quality 20 should be much smaller than quality 95")
        let grey = try JPEGEncoder.encode(photo.channel(1), quality: 90)
        #expect(try ImageCodec.decode(grey, options: DecodeOptions(channels: .native)).channels == 1)
    }
}

@Suite struct PNGDecodingTests {
    @Test(arguments: ["image_png_grey.png", "image_png_grey_alpha.png", "image_png_rgb.png", "image_png_rgba.png",
                      "image_png_palette.png", "image_png_palette_trns.png", "image_png_1bit.png"])
    func decodesEveryLayout(file: String) throws {
        let entry = (Fixture["png"] as [String: Any])[file] as! [String: Any]
        let shape = entry["shape"] as! [Int]
        let expected = (entry["pixels"] as! [Int]).map(UInt8.init)
        let image = try ImageCodec.decode(Fixture.data(file), source: file, options: DecodeOptions(channels: .native))
        let expectedShape: [Int] = [shape[0], shape[1], shape.count > 2 ? shape[2] : 1]
        #expect([image.height, image.width, image.channels] == expectedShape)
        #expect(image.pixels == expected)
        let rgb = try ImageCodec.decode(Fixture.data(file), source: file)
        #expect(rgb.channels == 3)
        #expect(rgb.channel(0).pixels == image.channel(0).pixels)
    }

    @Test func sixteenBitKeepsFullPrecisionAsFloat() throws {
        let entry = (Fixture["png"] as [String: Any])["image_png_grey16.png"] as! [String: Any]
        let expected = (entry["pixels"] as! [Int])
        let data = Fixture.data("image_png_grey16.png")
        let f = try data.withUnsafeBytes { try PNGCodec.decodeFloat($0, options: DecodeOptions(channels: .native)) }
        #expect(f.pixels == expected.map { Float($0) / 65535 })
        let b = try ImageCodec.decode(data, options: DecodeOptions(channels: .native))
        #expect(b.pixels == expected.map { UInt8(($0 * 255 + 32767) / 65535) })
    }
}

@Suite struct RoundTripTests {
    static func pattern(_ h: Int, _ w: Int, _ c: Int) -> Image<UInt8> {
        var img = Image<UInt8>(height: h, width: w, channels: c)
        for i in 0..<img.pixels.count { img.pixels[i] = UInt8((i * 37 + i / 7) % 256) }
        return img
    }

    @Test(arguments: [1, 2, 3, 4])
    func pngIsLosslessForEightBit(channels: Int) throws {
        let img = Self.pattern(13, 17, channels)
        let back = try ImageCodec.decode(PNGCodec.encode(img), options: DecodeOptions(channels: .native))
        #expect(back == img)
    }

    @Test func pngIsLosslessForMasks() throws {
        var mask = Image<Bool>(height: 9, width: 11)
        for i in 0..<mask.pixels.count { mask.pixels[i] = i % 3 == 0 || i % 5 == 1 }
        let back = try ImageCodec.decode(PNGCodec.encode(mask), options: DecodeOptions(channels: .native))
        #expect(back.toMask() == mask)
    }

    @Test(arguments: [1, 3])
    func pngKeepsFloatsToSixteenBits(channels: Int) throws {
        var img = Image<Float>(height: 7, width: 5, channels: channels)
        for i in 0..<img.pixels.count { img.pixels[i] = Float(i * 977 % 1000) / 999 }
        let bytes = try PNGCodec.encode(img)
        let back = try bytes.withUnsafeBytes { try PNGCodec.decodeFloat($0, options: DecodeOptions(channels: .native)) }
        #expect(maxAbsDifference(back, img) <= 0.5 / 65535 + 1e-7)
    }

    @Test func writeAndReadFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-image-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = Self.pattern(20, 30, 3)
        let png = dir.appendingPathComponent("a.png").path, jpg = dir.appendingPathComponent("b.jpg").path
        try img.write(to: URL(fileURLWithPath: png))
        try img.write(to: URL(fileURLWithPath: jpg))
        #expect(try Image<UInt8>(contentsOf: URL(fileURLWithPath: png)) == img)
        #expect(ImageFormat.detect(try Data(contentsOf: URL(fileURLWithPath: jpg))) == .jpeg)
        // A PNG saved under a .jpg name still decodes: the bytes decide.
        let misnamed = dir.appendingPathComponent("c.jpg").path
        try img.write(to: URL(fileURLWithPath: misnamed), format: .png)
        #expect(try Image<UInt8>(contentsOf: URL(fileURLWithPath: misnamed)) == img)
    }
}

/// The flowers-mini demo photos and djpeg, when this machine has them (the team's shared data set, or a
/// checkout that bundles it); the test is skipped elsewhere.
enum DemoPhotos {
    static let root: String? = {
        var candidates = ["../shared/datasets/flowers-mini", "/work/shared/datasets/flowers-mini", "Data/flowers-mini"]
        if let env = ProcessInfo.processInfo.environment["PETAL_FLOWERS"] { candidates.insert(env, at: 0) }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/rose") }
    }()
    static let djpeg: String? = ["/usr/bin/djpeg", "/usr/local/bin/djpeg", "/opt/homebrew/bin/djpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { root != nil && djpeg != nil }

    /// djpeg's PPM/PGM output, parsed.
    static func reference(_ path: String) throws -> Image<UInt8> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: djpeg!)
        process.arguments = ["-pnm", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        // Header: magic, width height, maxval, each followed by a newline (djpeg writes no comments).
        var fields: [String] = [], i = 0
        while fields.count < 4 {
            var token = ""
            while data[i] == 0x0A || data[i] == 0x20 { i += 1 }
            while data[i] != 0x0A && data[i] != 0x20 { token.append(Character(UnicodeScalar(data[i]))); i += 1 }
            fields.append(token)
        }
        i += 1
        let channels = fields[0] == "P6" ? 3 : 1
        return try Image(height: Int(fields[2])!, width: Int(fields[1])!, channels: channels, pixels: [UInt8](data[i...]))
    }
}

@Suite struct DemoPhotoDecodingTests {
    @Test(.enabled(if: DemoPhotos.available, "needs the flowers-mini photos and djpeg"))
    func everyFifthDemoPhotoEqualsDjpeg() throws {
        let fm = FileManager.default
        var checked = 0
        for cls in ["daisy", "rose"] {
            let dir = DemoPhotos.root! + "/" + cls
            let files = try fm.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jpg") }.sorted()
            for (i, f) in files.enumerated() where i % 5 == 0 {
                let path = dir + "/" + f
                #expect(try Image<UInt8>(contentsOf: URL(fileURLWithPath: path), options: DecodeOptions(channels: .native)) == DemoPhotos.reference(path), "\(path)")
                checked += 1
            }
        }
        #expect(checked >= 40)
    }
}

@Suite struct SixteenBitAlphaTests {
    @Test func rgba16IsReturnedWithStraightAlpha() throws {
        let entry = (Fixture["png"] as [String: Any])["image_png_rgba16.png"] as! [String: Any]
        let expected = entry["pixels"] as! [Int]
        let data = Fixture.data("image_png_rgba16.png")
        let f = try data.withUnsafeBytes { try PNGCodec.decodeFloat($0, options: DecodeOptions(channels: .native)) }
        #expect(f.channels == 4 && f.height == 5 && f.width == 4)
        for p in 0..<f.pixelCount {
            let alpha = expected[4 * p + 3]
            #expect(f.pixels[4 * p + 3] == Float(alpha) / 65535, "alpha is exact")
            for c in 0..<3 {
                let want = Float(expected[4 * p + c]) / 65535, got = f.pixels[4 * p + c]
                // libpng premultiplies to 16 bits; undoing it loses up to 65535 / (2 · alpha) levels.
                if alpha == 0 {
                    #expect(got == 0)
                } else {
                    #expect(abs(got - want) <= Float(1) / Float(alpha) + 1e-6, "pixel \(p) channel \(c) alpha \(alpha): \(got) vs \(want)")
                }
            }
        }
        // Opaque pixel (0, 1) comes back exactly.
        for c in 0..<3 { #expect(f[0, 1, c] == Float(expected[4 + c]) / 65535) }
        let rgb = try ImageCodec.decode(data)
        #expect(rgb.channels == 3 && rgb[0, 1, 0] == UInt8((expected[4] * 255 + 32767) / 65535))
    }
}
