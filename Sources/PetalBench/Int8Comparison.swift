// `--compare-int8`: the benchmarked model's fp32 fused inference against its int8 quantization (calibrated on 64 random
// images: speed does not depend on what the ranges are), alternating the two in rounds so that the machine's drift
// falls on both: batch-32 images/s and batch-1 latency, and the int8 model's logits' distance from fp32's.
import Foundation
import PetalNN
import PetalTensor

/// `--json`: one round, printed as one JSON line (int8 figures as infer_ips and latency_ms, fp32's beside them) for
/// Benchmarks/compare/int8_compare.py.
func runInt8Comparison(rounds: Int = 5) throws {
    let json = CommandLine.arguments.contains("--json")
    let rounds = json ? 1 : rounds
    let model = try makeBenchModel()
    model.eval()
    var g = SeededGenerator(seed: 3)
    let calibration = try (0..<2).map { _ in try Tensor.randomUniform([32, 3, benchCrop, benchCrop], generator: &g) }
    let int8 = try model.quantized(calibration: calibration, method: .minMax, keepingFirstConvolution: CommandLine.arguments.contains("--keep-first"))
    let fused = model.fusedForInference()
    let batch = try Tensor.randomUniform([32, 3, benchCrop, benchCrop], generator: &g), one = try Tensor.randomUniform([1, 3, benchCrop, benchCrop], generator: &g)
    let (a, b) = try withoutGradients { (try fused(batch).scalars, try int8(batch).scalars) }
    let spread = (a.max() ?? 0) - (a.min() ?? 0)
    if !json { print("\n== int8 against fp32: \(model.layerDescription), \(benchCrop)×\(benchCrop), \(Device.default.threads) threads, weights at \(QuantizedConvolution.takesFullWeightCodes ? 8 : 7) bits")
    print(String(format: "logits: largest difference %.4f of a spread of %.3f", zip(a, b).map { abs($0 - $1) }.max() ?? 0, spread)) }
    var rows: [(fp32: Double, int8: Double, fp32One: Double, int8One: Double)] = []
    for _ in 0..<rounds {
        let f = medianSeconds(warmup: 1, minimumRuns: 3, seconds: 0) { _ = try! withoutGradients { try fused(batch) } }
        let q = medianSeconds(warmup: 1, minimumRuns: 3, seconds: 0) { _ = try! withoutGradients { try int8(batch) } }
        let f1 = medianSeconds(warmup: 3, minimumRuns: 30, seconds: 0) { _ = try! withoutGradients { try fused(one) } }
        let q1 = medianSeconds(warmup: 3, minimumRuns: 30, seconds: 0) { _ = try! withoutGradients { try int8(one) } }
        rows.append((f, q, f1, q1))
        if json {
            print("{\"infer_ips\": \(32 / q), \"latency_ms\": \(q1 * 1000), \"fp32_infer_ips\": \(32 / f), \"fp32_latency_ms\": \(f1 * 1000), \"precision\": \"int8\"}")
            return
        }
        print(String(format: "round: batch 32 fp32 %6.1f images/s, int8 %6.1f (×%.2f); batch 1 fp32 %.2f ms, int8 %.2f ms (×%.2f)",
                     32 / f, 32 / q, f / q, f1 * 1000, q1 * 1000, f1 / q1))
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    print(String(format: "median: batch 32 fp32 %.1f images/s, int8 %.1f images/s (×%.2f); batch 1 fp32 %.2f ms, int8 %.2f ms (×%.2f)",
                 32 / median(rows.map(\.fp32)), 32 / median(rows.map(\.int8)), median(rows.map { $0.fp32 / $0.int8 }),
                 median(rows.map(\.fp32One)) * 1000, median(rows.map(\.int8One)) * 1000, median(rows.map { $0.fp32One / $0.int8One })))
    if CommandLine.arguments.contains("--profile") {
        try printProfile("int8 batch-32 prediction", per: "run", runs: 5, decimals: 3) { _ = try withoutGradients { try int8(batch) } }
        try printProfile("int8 batch-1 prediction", per: "run", runs: 30, decimals: 3, byShape: true, rows: 24) { _ = try withoutGradients { try int8(one) } }
    }
}
