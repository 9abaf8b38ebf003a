// Every kind of bad input gets a typed ImageError naming the file and the reason, never a crash.
import Foundation
import Testing
@testable import PetalImage

@Suite final class BadInputTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func error(reading path: String, options: DecodeOptions = DecodeOptions()) -> ImageError? {
        do {
            _ = try Image<UInt8>(contentsOf: URL(fileURLWithPath: path), options: options)
            return nil
        } catch let e as ImageError {
            #expect(e.errorDescription!.contains(path), "message must name the file: \(e.errorDescription!)")
            #expect(!e.errorDescription!.contains("\n"))
            return e
        } catch {
            Issue.record("untyped error \(error)")
            return nil
        }
    }

    var jpeg: [UInt8] { [UInt8](Fixture.data("image_rose_102501987.jpg")) }
    var png: [UInt8] { [UInt8](Fixture.data("image_png_rgb.png")) }

    @Test func missingFile() {
        guard case .fileAccess = error(reading: dir.appendingPathComponent("nope.jpg").path) else { Issue.record("expected fileAccess"); return }
    }

    @Test func zeroBytes() throws {
        for name in ["empty.jpg", "empty.png"] {
            guard case .emptyFile = error(reading: try write(name, [])) else { Issue.record("expected emptyFile for \(name)"); return }
        }
    }

    @Test func truncatedJPEG() throws {
        for length in [3, 200, jpeg.count / 2, jpeg.count - 10] {
            let e = error(reading: try write("cut\(length).jpg", Array(jpeg.prefix(length))))
            guard case .truncated = e else { Issue.record("expected truncated at \(length) bytes, got \(String(describing: e))"); continue }
        }
    }

    @Test func truncatedPNG() throws {
        for length in [8, 20, png.count / 2, png.count - 13] {
            let e = error(reading: try write("cut\(length).png", Array(png.prefix(length))))
            guard case .truncated = e else { Issue.record("expected truncated at \(length) bytes, got \(String(describing: e))"); continue }
        }
    }

    @Test func corruptJPEG() throws {
        var bytes = jpeg
        // Overwrite the scan data after the headers with a wrong marker sequence.
        for i in 700..<1200 { bytes[i] = i % 2 == 0 ? 0xFF : 0xD9 }
        let e = error(reading: try write("corrupt.jpg", bytes))
        guard case .corrupt = e else { Issue.record("expected corrupt, got \(String(describing: e))"); return }
    }

    @Test func corruptPNG() throws {
        var bytes = png
        bytes[40] ^= 0xFF   // inside IHDR/the first chunk: its CRC no longer matches
        let e = error(reading: try write("corrupt.png", bytes))
        guard case .corrupt = e else { Issue.record("expected corrupt, got \(String(describing: e))"); return }
    }

    @Test func textFileWithJPEGName() throws {
        let e = error(reading: try write("notes.jpg", Array("these are not pixels\n".utf8)))
        guard case .unsupportedFormat(_, let reason) = e else { Issue.record("expected unsupportedFormat"); return }
        #expect(reason.contains("text"))
    }

    @Test func unsupportedFormats() throws {
        let gif = Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0]
        guard case .unsupportedFormat(_, let reason) = error(reading: try write("anim.png", gif)) else { Issue.record("expected unsupportedFormat"); return }
        #expect(reason.contains("GIF"))
        let bmp = Array("BM".utf8) + [UInt8](repeating: 0, count: 60)
        guard case .unsupportedFormat = error(reading: try write("pic.jpg", bmp)) else { Issue.record("expected unsupportedFormat"); return }
    }

    @Test func decompressionBombs() throws {
        // The real photo is 320 × 240 = 76,800 pixels; a limit below that must refuse it before decoding.
        let e = error(reading: try write("big.jpg", jpeg), options: DecodeOptions(maxPixels: 50_000))
        #expect(e == .tooManyPixels(source: dir.appendingPathComponent("big.jpg").path, width: 320, height: 240, limit: 50_000))
        // A PNG header claiming 100,000 × 100,000 pixels, with a correct CRC, and no data behind it.
        let bomb = try PNGCodec.encode(Image<UInt8>(height: 1, width: 1))
        var header = Array(bomb.prefix(33))
        let big: [UInt8] = [0x00, 0x01, 0x86, 0xA0]   // 100,000 big-endian
        header.replaceSubrange(16..<20, with: big)
        header.replaceSubrange(20..<24, with: big)
        let crc = crc32(Array(header[12..<29]))
        header.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        let pngBomb = error(reading: try write("bomb.png", header + bomb.suffix(from: 33)))
        #expect(pngBomb == .tooManyPixels(source: dir.appendingPathComponent("bomb.png").path, width: 100_000, height: 100_000, limit: DecodeOptions.defaultMaxPixels))
        // A JPEG whose SOF0 claims 60,000 × 60,000.
        var jbomb = jpeg
        let sof = (0..<jbomb.count - 1).first { jbomb[$0] == 0xFF && (jbomb[$0 + 1] == 0xC0 || jbomb[$0 + 1] == 0xC2) }!
        jbomb.replaceSubrange(sof + 5..<sof + 9, with: [0xEA, 0x60, 0xEA, 0x60])
        let jpegBomb = error(reading: try write("bomb.jpg", jbomb))
        #expect(jpegBomb == .tooManyPixels(source: dir.appendingPathComponent("bomb.jpg").path, width: 60_000, height: 60_000, limit: DecodeOptions.defaultMaxPixels))
    }

    @Test func badParametersAreTyped() throws {
        let photo = try Fixture.photo()
        #expect(throws: ImageError.self) { try JPEGEncoder.encode(photo, quality: 0) }
        #expect(throws: ImageError.self) { try JPEGEncoder.encode(Image<UInt8>(height: 2, width: 2, channels: 4), quality: 90) }
        #expect(throws: ImageError.self) { try Image<UInt8>(height: 2, width: 2, channels: 1, pixels: [1, 2, 3]) }
        #expect(throws: ImageError.invalidParameter(name: "jpegScale", reason: "1/3 is not a libjpeg-turbo scaling factor (use n/8, n = 1…16)")) {
            try Image<UInt8>(contentsOf: Fixture.url("image_rose_102501987.jpg"), options: DecodeOptions(jpegScale: JPEGScale(1, 3)))
        }
    }
}

/// CRC-32 (PNG's chunk checksum), to forge a valid header.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
    return ~c
}

@Suite struct FuzzTests {
    /// Random byte damage and truncation of real files: every outcome is a decoded image or an ImageError.
    @Test(arguments: ["image_rose_102501987.jpg", "image_crop_420.jpg", "image_crop_progressive.jpg", "image_png_rgb.png",
                      "image_png_palette_trns.png", "image_png_grey16.png"])
    func damagedFilesNeverCrash(file: String) {
        let original = [UInt8](Fixture.data(file))
        var g = SeededGenerator(seed: UInt64(original.count))
        var decoded = 0, rejected = 0
        for trial in 0..<60 {
            var bytes = original
            // Keep the signature (a damaged signature is covered elsewhere) and damage the rest.
            for _ in 0..<(1 + trial % 8) {
                let i = 8 + Int(g.next() % UInt64(bytes.count - 8))
                bytes[i] = UInt8(truncatingIfNeeded: g.next())
            }
            if trial % 3 == 0 { bytes = Array(bytes.prefix(8 + Int(g.next() % UInt64(bytes.count - 8)))) }
            do {
                let image = try ImageCodec.decode(bytes, source: file, options: DecodeOptions(maxPixels: 4_000_000))
                #expect(image.pixels.count == image.height * image.width * image.channels)
                decoded += 1
            } catch let e as ImageError {
                #expect(e.errorDescription!.contains(file))
                rejected += 1
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
        #expect(decoded + rejected == 60 && rejected > 0)
    }
}
