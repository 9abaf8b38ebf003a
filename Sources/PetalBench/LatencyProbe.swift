// `petal-bench --probe-latency`: only batch-1 predictions of ResNet-18 (fp32, or bf16 with `--bf16`), so that a
// profiler (`perf record -D 4000`) sees nothing else. `PETAL_ROUNDS` rounds of 50 (default 20, or 6 with `--json`);
// prints each round's median and their median, or with `--json` one line for Benchmarks/compare/latency_pairs.py.
import Foundation
import PetalNN
import PetalTensor
import PetalTrain

func runLatencyProbe(precision: Precision) throws {
    let model = try ResNet(depth: .r18, classes: 2)
    model.setConvolutionPrecision(precision)
    model.eval()
    var g = SeededGenerator(seed: 3)
    let one = try Tensor.randomNormal([1, 3, 100, 100], generator: &g)
    for _ in 0..<5 { _ = try withoutGradients { try model(one) } }
    let json = CommandLine.arguments.contains("--json")
    let rounds = max(1, Int(ProcessInfo.processInfo.environment["PETAL_ROUNDS"] ?? "") ?? (json ? 6 : 20))
    var medians: [Double] = []
    for _ in 0..<rounds {
        var samples: [Double] = []
        for _ in 0..<50 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try withoutGradients { try model(one) }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        medians.append(samples.sorted()[25])
    }
    if json {
        print("{\"train_ips\": null, \"infer_ips\": null, \"latency_ms\": \(medians.sorted()[rounds / 2]), \"peak_rss_mb\": \(peakResidentMegabytes()), \"precision\": \"\(precision)\"}")
        return
    }
    print("batch-1 latency, \(precision), medians of \(rounds) rounds of 50 (ms): " + medians.map { String(format: "%.2f", $0) }.joined(separator: " "))
    print(String(format: "median %.2f ms", medians.sorted()[rounds / 2]))
}
