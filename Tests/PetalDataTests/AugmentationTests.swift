// Augmentation: the same seed gives the same pixels, each image is ONE warp by the composed Keras matrix (equal to
// PetalImage's warp of the cached crop), fill modes, the tutorial's doubling, and no augmentation on validation.
import Foundation
import Testing
import PetalImage
@testable import PetalData

@Suite struct AugmentationTests {
    static let policy = AugmentationPolicy(rotationRange: 40, widthShiftRange: 0.1, heightShiftRange: 0.15,
                                           zoomRange: AugmentationPolicy.zoom(0.2), shearRange: 10, horizontalFlip: true,
                                           verticalFlip: true, brightnessRange: 0.6...1.4, fillMode: .reflect)

    func texturedSet() throws -> TestDataSet {
        let set = try TestDataSet()
        for i in 0..<6 { try set.texture("a/\(i).png", height: 16, width: 14, seed: i) }
        for i in 0..<6 { try set.texture("b/\(i).png", height: 13, width: 17, seed: 20 + i) }
        return set
    }

    func config(doubling: Bool = false) -> DataConfig {
        DataConfig(cropHeight: 10, cropWidth: 10, validationFraction: 0.25, batchSize: 4, augmentation: Self.policy,
                   appendAugmentedCopy: doubling, prefetchBatches: 1)
    }

    /// The planar image `i` of a batch as an interleaved (HWC) array, for comparison with `Image.pixels`.
    func interleaved(_ batch: Batch, _ i: Int) -> [Float] {
        let s = batch.images.scalars, (c, h, w) = (batch.images.shape[1], batch.images.shape[2], batch.images.shape[3])
        var out: [Float] = []
        for p in 0..<(h * w) { for ch in 0..<c { out.append(s[(i * c + ch) * h * w + p]) } }
        return out
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }

    @Test func eachImageIsOneWarpByTheComposedMatrixAndRepeatsForTheSeed() throws {
        let set = try texturedSet()
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config(), log: { _ in })
        let first = Array(try data.train.batches(epoch: 0)), again = Array(try data.train.batches(epoch: 0))
        #expect(first.map { $0.images.scalars } == again.map { $0.images.scalars })
        let other = Array(try data.train.batches(epoch: 1))
        #expect(Set(first[0].redValues + first[1].redValues) != Set(other[0].redValues + other[1].redValues)
                || first[0].images.scalars != other[0].images.scalars)

        let order = data.train.order(epoch: 0)
        var flipped = 0, brightened = 0
        for (b, batch) in first.enumerated() {
            for i in 0..<batch.count {
                let s = order[b * 4 + i]
                let crop = try #require(data.cache.image(for: data.train.samples[s].path))
                let p = Self.policy.parameters(seed: 42, epoch: 0, sample: s, height: 10, width: 10)
                let m = AffineTransform2D.keras(p, height: 10, width: 10)
                let expected = crop.toFloat().warped(inverseMap: m, border: .symmetric).scaledBrightness(by: Float(p.brightness))
                #expect(interleaved(batch, i) == expected.pixels)
                // Not the plain crop: the augmentation really moved or recoloured the picture.
                #expect(maxDifference(interleaved(batch, i), crop.toFloat().pixels) > 0.01)
                if p.flipHorizontal || p.flipVertical { flipped += 1 }
                if p.brightness != 1 { brightened += 1 }
            }
        }
        #expect(flipped > 0 && brightened == 8)
    }

    @Test func drawsDependOnTheSeedEpochAndImageOnly() {
        let p = Self.policy
        let a = p.parameters(seed: 1, epoch: 2, sample: 3, height: 100, width: 100)
        #expect(a == p.parameters(seed: 1, epoch: 2, sample: 3, height: 100, width: 100))
        #expect(a != p.parameters(seed: 2, epoch: 2, sample: 3, height: 100, width: 100))
        #expect(a != p.parameters(seed: 1, epoch: 3, sample: 3, height: 100, width: 100))
        #expect(a != p.parameters(seed: 1, epoch: 2, sample: 4, height: 100, width: 100))
        #expect(a != p.parameters(seed: 1, epoch: 2, sample: 3, copy: 1, height: 100, width: 100))
        #expect(abs(a.rotationDegrees) <= 40 && abs(a.rowShift) <= 15 && abs(a.columnShift) <= 10)
        // Frozen: the draws of a saved run must not change between machines or releases.
        #expect(abs(a.rotationDegrees - 4.245311944077237) < 1e-12 && abs(a.rowShift - 0.5684843766820991) < 1e-12)
        #expect(abs(a.columnShift + 2.6792401971695523) < 1e-12 && a.flipHorizontal && abs(a.brightness - 0.9992158312124737) < 1e-12)
        #expect((0.8...1.2).contains(a.rowZoom) && (0.6...1.4).contains(a.brightness))
    }

    /// torchvision's RandomResizedCrop as a draw: the window covers a fraction of the area in the scale range (less
    /// only when clipped to the image), its aspect ratio is within 3/4…4/3, it always lies inside the image (the
    /// output's corner pixels map inside), and the Keras draws are untouched when it is off.
    @Test func randomResizedCropsStayInsideWithTheirAreaAndAspect() throws {
        let policy = AugmentationPolicy(rotationRange: 0, widthShiftRange: 0.1, heightShiftRange: 0.1, zoomRange: AugmentationPolicy.zoom(0.2),
                                        horizontalFlip: true, randomResizedCrop: 0.35...1)
        try policy.validate()
        var areas: [Double] = []
        for sample in 0..<400 {
            let p = policy.parameters(seed: 5, epoch: 0, sample: sample, height: 60, width: 90)
            let area = p.rowZoom * p.columnZoom, ratio = p.columnZoom / p.rowZoom
            #expect(area <= 1 + 1e-12 && area >= 0.35 * 3 / 4 - 1e-12, "area \(area)")
            if p.rowZoom < 1 && p.columnZoom < 1 { #expect(area >= 0.35 - 1e-12 && ratio >= 0.75 - 1e-12 && ratio <= 4.0 / 3 + 1e-12) }
            let m = AffineTransform2D.keras(p, height: 60, width: 90)
            for (x, y) in [(0.0, 0.0), (89, 0), (0, 59), (89, 59)] {
                let q = m.apply(x: x, y: y)
                #expect(q.x >= -1e-9 && q.x <= 89 + 1e-9 && q.y >= -1e-9 && q.y <= 59 + 1e-9, "corner (\(x), \(y)) maps to \(q)")
            }
            areas.append(area)
        }
        #expect(areas.min()! < 0.45 && areas.max()! > 0.9, "the draws cover the range")
        var off = policy
        off.randomResizedCrop = nil
        let keras = off.parameters(seed: 5, epoch: 0, sample: 3, height: 60, width: 90)
        #expect(keras.rowZoom != keras.columnZoom && keras.rowShift != 0, "without it, Keras' zoom and shift draws")
        #expect(throws: DataError.self) { try AugmentationPolicy(randomResizedCrop: 0...1).validate() }
        let saved = try JSONDecoder().decode(AugmentationPolicy.self, from: JSONEncoder().encode(policy))
        #expect(saved == policy)
    }

    @Test func fillModesFillTheUncoveredCorners() throws {
        var pixels: [UInt8] = []
        for y in 0..<10 { for x in 0..<10 { pixels += [UInt8(20 + x * 10), UInt8(20 + y * 10), 200] } }
        let image = try ByteImage(height: 10, width: 10, channels: 3, pixels: pixels)
        let turn = KerasTransformParameters(rotationDegrees: 45)
        var out = [Float](repeating: -1, count: 300)
        var policy = AugmentationPolicy(fillMode: .constant, cval: 0.5)
        out.withUnsafeMutableBufferPointer { policy.apply(turn, to: image, into: $0) }
        #expect(out[0] == 0.5 && out[100] == 0.5 && out[299] == 0.5)     // corners of all three planes
        #expect(abs(out[55] - Float(image[5, 5, 0]) / 255) < 0.05)       // the centre barely moves
        policy.fillMode = .nearest
        out.withUnsafeMutableBufferPointer { policy.apply(turn, to: image, into: $0) }
        #expect(out[0] != 0.5 && out[0] >= 20 / 255 && abs(out[200] - 200 / 255) < 1e-6)
        #expect(policy.border == .edge)
        #expect(AugmentationPolicy(fillMode: .wrap).border == .wrap && AugmentationPolicy(fillMode: .reflect).border == .symmetric)
    }

    @Test func doublingAppendsAnAugmentedCopyOfEveryTrainingBatch() throws {
        let set = try texturedSet()
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config(doubling: true), log: { _ in })
        #expect(data.train.imagesPerBatch == 8 && data.train.batchesPerEpoch == 2)
        let batches = Array(try data.train.batches(epoch: 3))
        let order = data.train.order(epoch: 3)
        for (b, batch) in batches.enumerated() {
            #expect(batch.count == 8 && batch.images.shape == [8, 3, 10, 10])
            #expect(Array(batch.labels[4...]) == Array(batch.labels[..<4]))
            for i in 0..<4 {
                let s = order[b * 4 + i]
                let crop = try #require(data.cache.image(for: data.train.samples[s].path))
                #expect(interleaved(batch, i) == crop.toFloat().pixels)            // the original, untouched
                let p = Self.policy.parameters(seed: 42, epoch: 3, sample: s, copy: 1, height: 10, width: 10)
                let expected = crop.toFloat().warped(inverseMap: .keras(p, height: 10, width: 10), border: .symmetric)
                    .scaledBrightness(by: Float(p.brightness))
                #expect(interleaved(batch, 4 + i) == expected.pixels)
            }
        }
    }

    @Test func validationIsNeverAugmented() throws {
        let set = try texturedSet()
        let data = try DataPipeline.prepare(root: URL(fileURLWithPath: set.root), config: config(doubling: true), log: { _ in })
        #expect(!data.validation.augments && data.train.augments)
        let batches = Array(try data.validation.batches(epoch: 0))
        #expect(batches.map(\.count) == [4])
        for i in 0..<4 {
            let crop = try #require(data.cache.image(for: data.validation.samples[i].path))
            #expect(interleaved(batches[0], i) == crop.toFloat().pixels)
        }
    }
}
