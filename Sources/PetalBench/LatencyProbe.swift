// `petal-bench --probe-latency`: only batch-1 predictions of ResNet-18 (fp32, or bf16 with `--bf16`), so that a
// profiler (`perf record -D 4000`) sees nothing else; with `--profile`, Petal's own per-primitive times instead. `PETAL_ROUNDS` rounds of 50 (default 20, or 6 with `--json`);
// prints each round's median and their median, or with `--json` one line for Benchmarks/compare/latency_pairs.py.
import Foundation
import PetalBenchKit
import PetalNN
@_spi(Benchmark) import PetalTensor
import PetalTrain

func runLatencyProbe(precision: Precision) throws {
    let predict = try singleImagePredictor(precision: precision)
    for _ in 0..<5 { try predict() }
    if CommandLine.arguments.contains("--profile") {
        return try printProfile("batch-1 \(precision.rawValue) predictions", per: "run", runs: 400, decimals: 3, byShape: true, rows: 40, predict)
    }
    let json = CommandLine.arguments.contains("--json")
    let rounds = max(1, Int(ProcessInfo.processInfo.environment["PETAL_ROUNDS"] ?? "") ?? (json ? 6 : 20))
    var medians: [Double] = []
    for _ in 0..<rounds { medians.append(try Throughput.medianSeconds(warmup: 0, runs: 50, predict) * 1000) }
    if json {
        print("{\"train_ips\": null, \"infer_ips\": null, \"latency_ms\": \(medians.sorted()[rounds / 2]), \"peak_rss_mb\": \(peakResidentMegabytes()), \"precision\": \"\(precision)\"}")
        return
    }
    print("batch-1 latency, \(precision), medians of \(rounds) rounds of 50 (ms): " + medians.map { String(format: "%.2f", $0) }.joined(separator: " "))
    print(String(format: "median %.2f ms", medians.sorted()[rounds / 2]))
}

/// `petal-bench --compare-layouts`: batch-1 ResNet-18 predictions with nChw16c against channels-last convolutions,
/// alternating every 50 predictions in one process (the machine's drift hits both alike); how the batch-1 rule
/// in ConvolutionPlan was chosen.
func runLayoutComparison(rounds: Int = 20) throws {
    let sides = [try singleImagePredictor(precision: .fp32, direct: true, singleImageChannelsLast: false),
                 try singleImagePredictor(precision: .fp32, direct: true)]
    let (medians, wins) = try alternate(rounds: rounds, sides: 2) { try sides[$0]() }
    print(String(format: "batch-1 ResNet-18 fp32, %d alternating rounds of 50: nChw16c %.2f ms, channels-last %.2f ms (medians); channels-last faster in %d of %d",
                 rounds, medians[0], medians[1], wins, rounds))
}

/// `petal-bench --compare-session`: batch-1 ResNet-18 predictions by calling the model (eager: every op decides and
/// allocates as it goes) against an ``InferenceSession`` (a replayed recording), alternating every 50 predictions in
/// one process; how the session's gain was measured.
func runSessionComparison(rounds: Int = 20) throws {
    let sides = [try singleImagePredictor(precision: .fp32, direct: true), try singleImagePredictor(precision: .fp32)]
    let (medians, wins) = try alternate(rounds: rounds, sides: 2) { try sides[$0]() }
    print(String(format: "batch-1 ResNet-18 fp32, %d alternating rounds of 50: model called %.2f ms, session %.2f ms (medians); session faster in %d of %d",
                 rounds, medians[0], medians[1], wins, rounds))
}

/// Times `sides` in turn, `rounds` rounds of 50 calls each after a warm-up, with `enter(i)` run before side i's calls:
/// each side's median per-call time in ms, and in how many rounds side 1 was faster than side 0.
func alternate(rounds: Int, sides: Int, enter: (Int) -> Void = { _ in }, _ call: (Int) throws -> Void) throws -> (medians: [Double], wins: Int) {
    for i in 0..<sides { enter(i); for _ in 0..<5 { try call(i) } }
    var samples = [[Double]](repeating: [], count: sides)
    for _ in 0..<rounds {
        for i in 0..<sides {
            enter(i)
            samples[i].append(try Throughput.medianSeconds(warmup: 0, runs: 50) { try call(i) } * 1000)
        }
    }
    let wins = (0..<rounds).filter { samples[1][$0] < samples[0][$0] }.count
    return (samples.map { $0.sorted()[rounds / 2] }, wins)
}

/// Predicts one fixed random 100×100 image with a fresh ResNet-18: through an ``InferenceSession`` (as `petal predict`
/// does), or with `direct` by calling the model's fused inference without a recording, as `--compare-layouts` needs.
func singleImagePredictor(precision: Precision, direct: Bool = false, singleImageChannelsLast: Bool = true) throws -> () throws -> Void {
    let model = try ResNet(depth: .r18, classes: 2)
    model.setConvolutionPrecision(precision)
    model.setConvolutionAlgorithm(benchConvolutionAlgorithm)
    for case let conv as Conv2D in model.namedModules.map(\.module) { conv.singleImageChannelsLast = singleImageChannelsLast }
    model.eval()
    var g = SeededGenerator(seed: 3)
    let one = try Tensor.randomNormal([1, 3, 100, 100], generator: &g)
    if direct {
        let fused = model.fusedForInference()
        return { _ = try fused(one) }
    }
    let session = InferenceSession(model)
    return { _ = try session(one) }
}

