import Foundation
import Testing
@testable import PetalRun

@Suite struct TrainedModelTests {
    @Test func predictsWithTheCheckpointsPreparation() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 3))
        var meta = CheckpointMetadata(resnet: model, classNames: ["daisy", "rose"])
        meta.inputSize = [32, 32]
        meta.smallImages = "pad"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-classifier-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url, metadata: meta)

        var g = SeededGenerator(seed: 5)
        let pixels = (0..<(40 * 50 * 3)).map { _ in UInt8(g.next() % 256) }
        let image = try Image(height: 40, width: 50, channels: 3, pixels: pixels)
        let classifier = try TrainedModel(checkpoint: url)
        let p = try classifier.predict(image)

        // The same preparation by hand: centre crop 32×32 (rows 4…35, columns 9…40), planar, /255.
        var planar = [Float](repeating: 0, count: 3 * 32 * 32)
        for c in 0..<3 { for y in 0..<32 { for x in 0..<32 { planar[(c * 32 + y) * 32 + x] = Float(pixels[((y + 4) * 50 + x + 9) * 3 + c]) / 255 } } }
        let expected = try model.predictProbabilities(Tensor(shape: [1, 3, 32, 32], scalars: planar)).scalars
        #expect(zip(p.probabilities, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(p.className == (expected[0] > expected[1] ? "daisy" : "rose"))

        // Too small for the crop: the checkpoint's policy (pad) applies instead of an error.
        let small = try Image(height: 20, width: 20, channels: 3, pixels: [UInt8](repeating: 128, count: 1200))
        #expect(try classifier.predict(small).probabilities.count == 2)
        #expect(throws: ModelError.self) { try TrainedModel(checkpoint: URL(fileURLWithPath: "/nonexistent.safetensors")) }
    }

    /// A checkpoint trained with `resize` prepares new photos the same way: resized to the short side, then cropped; the
    /// exported preprocessing says so.
    @Test func theCheckpointsResizeIsAppliedToNewPhotos() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 3))
        var meta = CheckpointMetadata(resnet: model, classNames: ["daisy", "rose"])
        (meta.inputSize, meta.resize) = ([32, 32], 40)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-resize-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url, metadata: meta)
        let classifier = try TrainedModel(checkpoint: url)
        #expect(classifier.data.resize == 40)
        #expect(classifier.preprocessing.contains { $0.hasPrefix("resize so that the short side is 40 pixels") })

        var g = SeededGenerator(seed: 6)
        let image = try Image(height: 80, width: 100, channels: 3, pixels: (0..<(80 * 100 * 3)).map { _ in UInt8(g.next() % 256) })
        // Half size (40×50, 2×2 means), then its central 32×32: rows 4…35, columns 9…40.
        var planar = [Float](repeating: 0, count: 3 * 32 * 32)
        for c in 0..<3 { for y in 0..<32 { for x in 0..<32 {
            let (sy, sx) = (2 * (y + 4), 2 * (x + 9))
            let mean = Float([(0, 0), (0, 1), (1, 0), (1, 1)].map { Int(image[sy + $0.0, sx + $0.1, c]) }.reduce(0, +)) / 4
            planar[(c * 32 + y) * 32 + x] = mean.rounded() / 255
        } } }
        let expected = try model.predictProbabilities(Tensor(shape: [1, 3, 32, 32], scalars: planar)).scalars
        #expect(zip(try classifier.predict(image).probabilities, expected).allSatisfy { abs($0 - $1) < 1e-3 })
        meta.resize = 20
        #expect(throws: ModelError.self) { try meta.validate() }
    }

    /// A header describing a far larger model than the file holds is refused before the model is allocated (a crafted
    /// `baseWidth` used to abort on a failed allocation).
    @Test func metadataDescribingAHugeModelIsRefusedBeforeAllocating() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 3))
        var meta = CheckpointMetadata(resnet: model, classNames: ["daisy", "rose"])
        (meta.depth, meta.baseWidth) = (152, 512)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-huge-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url, metadata: meta)
        do {
            _ = try TrainedModel(checkpoint: url)
            Issue.record("a ResNet-152 of width 512 was built from a width-4 file")
        } catch ModelError.checkpoint(let path, let reason) {
            #expect(path == url.path && reason.contains("ResNet-152 of width 512") && reason.contains("holds only"), "\(reason)")
        }
        // A small described model is counted in parameters, not "about 0 million" (issue 31, item 24).
        (meta.depth, meta.baseWidth) = (18, 16)
        try model.save(to: url, metadata: meta)
        do {
            _ = try TrainedModel(checkpoint: url)
            Issue.record("a ResNet-18 of width 16 was built from a width-4 file")
        } catch ModelError.checkpoint(_, let reason) {
            #expect(reason.contains("ResNet-18 of width 16 (about 700") && !reason.contains("about 0 "), "\(reason)")
        }
    }
}

