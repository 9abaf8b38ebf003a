// `petal-bench --compare-algorithms [--bf16]`: ResNet-18 at 100×100 with convolutions computed directly against
// oneDNN's own choice (Winograd for 3×3 stride-1 when the batch allows), alternating step by step in one process so
// the machine's drift hits both sides alike. This is how `ConvolutionAlgorithm.auto` was chosen as the default.
import Foundation
import PetalBenchKit
import PetalNN
import PetalTrain
@_spi(Benchmark) import PetalTensor

func runAlgorithmComparison(precision: Precision, rounds: Int = 12) throws {
    let model = try ResNet(depth: .r18, classes: 2)
    model.setConvolutionPrecision(precision)
    var g = SeededGenerator(seed: 3)
    let batch = try Tensor.randomNormal([32, 3, 100, 100], generator: &g)
    let one = try batch.slice(batch: 0..<1)
    let labels = (0..<32).map { $0 % 2 }
    let sgd = try SGD(parameters: model.parameters, learningRate: 0.01)
    let algorithms = ConvolutionAlgorithm.allCases
    let fused = model.fusedForInference()
    let cases: [(String, Double, () throws -> Void)] = [
        ("training step, batch 32 (images/s)", 32, { model.train(); try Throughput.trainingStep(model, batch, labels: labels, optimizer: sgd) }),
        ("inference, batch 32 (images/s)", 32, { _ = try fused(batch) }),
        ("latency, batch 1 (images/s)", 1, { _ = try fused(one) }),
    ]
    print("== Convolution algorithm A/B, ResNet-18 v1 100×100, \(precision), \(Device.default.threads) threads, \(rounds) alternating rounds (median [min–max])")
    for (name, images, body) in cases {
        var samples = Dictionary(uniqueKeysWithValues: algorithms.map { ($0, [Double]()) })
        for a in algorithms { model.setConvolutionAlgorithm(a); try body(); try body() }  // plans made, caches warm
        for _ in 0..<rounds {
            for a in algorithms {
                model.setConvolutionAlgorithm(a)
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                samples[a]!.append(images * 1e9 / Double(DispatchTime.now().uptimeNanoseconds - t0))
            }
        }
        let medians = samples.mapValues { $0.sorted()[$0.count / 2] }
        let cells = algorithms.map { a in
            String(format: "%@ %.1f [%.1f–%.1f]", a.rawValue, medians[a]!, samples[a]!.min()!, samples[a]!.max()!)
        }
        print("  \(cell(name, 36)) " + cells.joined(separator: "   ") + String(format: "   auto/direct ×%.2f", medians[.auto]! / medians[.direct]!))
    }
}
