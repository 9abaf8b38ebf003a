// Grad-CAM looks where the evidence is: a network trained to tell images with a bright square from images without
// one explains its "square" answer with heat on the square.
import Foundation
import Testing
@testable import PetalRun

@Suite struct GradCAMTests {
    /// 128 × 128 noise; class 1 has a bright 32 × 32 square at (top, left).
    static func image(square: (top: Int, left: Int)?, generator g: inout SeededGenerator) -> [Float] {
        var pixels = (0..<(3 * 128 * 128)).map { _ in Float(g.next() % 64) / 255 }
        if let (top, left) = square {
            for c in 0..<3 { for y in top..<(top + 32) { for x in left..<(left + 32) { pixels[(c * 128 + y) * 128 + x] = 1 } } }
        }
        return pixels
    }

    @Test func theHeatmapOfASquareDetectorPeaksOnTheSquare() throws {
        var g = SeededGenerator(seed: 9)
        var pixels: [Float] = [], labels: [Int] = []
        for i in 0..<64 {
            let hasSquare = i % 2 == 1
            pixels += Self.image(square: hasSquare ? (Int(g.next() % 96), Int(g.next() % 96)) : nil, generator: &g)
            labels.append(hasSquare ? 1 : 0)
        }
        let train = try ArrayBatchSource(images: Tensor(shape: [64, 3, 128, 128], scalars: pixels), labels: labels, classCount: 2,
                                         batchSize: 16, shuffleSeed: 1)
        let model = try ResNet(depth: .r18, variant: .v1, classes: 2, baseWidth: 8, initializer: WeightInitializer(seed: 2))
        let sgd = try SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9)
        let history = try Trainer.fit(model, train: train, epochs: 8, optimizer: sgd)
        #expect(history.values("accuracy").last! >= 0.9, "the detector learned: \(history.values("accuracy"))")

        let square = (top: 8, left: 80)
        let x = try Tensor(shape: [1, 3, 128, 128], scalars: Self.image(square: square, generator: &g))
        let result = try GradCAM.explain(model, image: x, classIndex: 1)
        #expect(result.heatmap.height == 128 && result.heatmap.width == 128 && result.probabilities.count == 2)
        func mean(_ rows: Range<Int>, _ columns: Range<Int>) -> Float {
            var s: Float = 0
            for y in rows { for c in columns { s += result.heatmap.pixels[y * 128 + c] } }
            return s / Float(rows.count * columns.count)
        }
        let inside = mean(square.top..<(square.top + 32), square.left..<(square.left + 32))
        let farCorner = mean(96..<128, 0..<32)
        #expect(inside > 2 * farCorner && inside > 0.3, "heat on the square \(inside), far corner \(farCorner)")
        #expect(model.parameters.allSatisfy { $0.grad == nil || $0.grad!.scalars.allSatisfy { $0 == 0 } }, "gradients are cleared afterwards")
        let overlay = try GradCAM.overlay(result.heatmap, on: Image<Float>(height: 128, width: 128, channels: 3, repeating: 0.5))
        #expect(overlay.pixels.count == 128 * 128 * 3)
    }

    @Test func overlayKeepsThePhotoWhereThereIsNoHeat() throws {
        // Heat 0 leaves the grey photo as it is; heat 1 lays the scale's top colour (0.5, 0, 0) over it at opacity 0.6.
        let heat = try Image<Float>(height: 1, width: 2, channels: 1, pixels: [0, 1])
        let overlay = try GradCAM.overlay(heat, on: Image<Float>(height: 1, width: 2, channels: 3, repeating: 0.5))
        let expected: [Float] = [0.5, 0.5, 0.5, 0.5, 0.2, 0.2]
        #expect(zip(overlay.pixels, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(overlay.pixels)")
    }
}
