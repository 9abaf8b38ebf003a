// Small class-folder data sets built on disk for one test, in a temporary folder removed afterwards.
// Images are PNG (lossless), so pixel values read back exactly; an image's red value identifies it in a batch.
import Foundation
import PetalImage
@testable import PetalData

final class TestDataSet {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "petal-data-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func folder(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
    }

    /// A uniform image of colour (red, green, blue).
    @discardableResult
    func image(_ relative: String, height: Int = 12, width: Int = 12, red: UInt8, green: UInt8 = 0, blue: UInt8 = 0) throws -> ByteImage {
        var pixels: [UInt8] = []
        for _ in 0..<(height * width) { pixels += [red, green, blue] }
        let image = try ByteImage(height: height, width: width, channels: 3, pixels: pixels)
        try write(image, relative)
        return image
    }

    /// A textured image (so that warps and crops move visible detail), seeded by `seed`.
    @discardableResult
    func texture(_ relative: String, height: Int, width: Int, seed: Int) throws -> ByteImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                pixels += [UInt8((x * 7 + y * 3 + seed * 11) % 256), UInt8((x * y + seed) % 256), UInt8((y * 13 + seed * 5) % 256)]
            }
        }
        let image = try ByteImage(height: height, width: width, channels: 3, pixels: pixels)
        try write(image, relative)
        return image
    }

    func write(_ image: ByteImage, _ relative: String) throws {
        try folder((relative as NSString).deletingLastPathComponent)
        try image.write(to: URL(fileURLWithPath: root + "/" + relative), format: .png)
    }

    func bytes(_ relative: String, _ data: [UInt8]) throws {
        try folder((relative as NSString).deletingLastPathComponent)
        try Data(data).write(to: URL(fileURLWithPath: root + "/" + relative))
    }

    func copy(_ from: String, _ to: String) throws {
        try folder((to as NSString).deletingLastPathComponent)
        try FileManager.default.copyItem(atPath: root + "/" + from, toPath: root + "/" + to)
    }

    /// Two classes, `a` with red values 0..<countA and `b` with 100..<100+countB, green = label.
    static func twoClasses(a countA: Int, b countB: Int, size: Int = 12) throws -> TestDataSet {
        let set = try TestDataSet()
        for i in 0..<countA { try set.image(String(format: "a/img%03d.png", i), height: size, width: size, red: UInt8(i), green: 0) }
        for i in 0..<countB { try set.image(String(format: "b/img%03d.png", i), height: size, width: size, red: UInt8(100 + i), green: 1) }
        return set
    }
}

/// A config for the small test images: 8 × 8 crops, no background thread unless asked.
func testConfig(batchSize: Int = 4, prefetch: Int = 0) -> DataConfig {
    DataConfig(cropHeight: 8, cropWidth: 8, batchSize: batchSize, prefetchBatches: prefetch)
}

extension Batch {
    /// The red value (0…255) of each image's first pixel: the test images' identity.
    var redValues: [Int] {
        let s = images.scalars, size = images.shape[1] * images.shape[2] * images.shape[3]
        return (0..<count).map { Int((s[$0 * size] * 255).rounded()) }
    }
}
