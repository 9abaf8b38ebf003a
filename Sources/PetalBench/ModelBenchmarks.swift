// ResNet-18 at 100×100 by default (`--model NAME`, any `--model` of petal train, and `--crop N` choose another), fp32 or
// bf16: a training step (forward, backward, SGD update) in images/s at batch 32, inference in images/s at batch 32, and
// latency at batch 1; for ResNet-18 at 100×100 with ratios to the PyTorch 2.15 figures measured on this machine (the
// side-by-side run is `make bench-compare`).
import Foundation
import PetalBenchKit
import PetalNN
import PetalTrain
@_spi(Benchmark) import PetalTensor

func runModelBenchmarks(quick: Bool) {
    let precisions: [Precision] = CommandLine.arguments.contains("--bf16") ? [.bf16] : (CommandLine.arguments.contains("--json") ? [.fp32] : [.fp32, .bf16])
    for precision in precisions { runModelBenchmark(quick: quick, precision: precision) }
}

/// The value after `option` on the command line.
func argument(_ option: String) -> String? { CommandLine.arguments.firstIndex(of: option).flatMap { CommandLine.arguments.dropFirst($0 + 1).first } }

/// The benchmarked network (`--model`, default resnet18: torchvision's v1) and crop (`--crop`, default 100).
let benchModel = argument("--model") ?? "resnet18", benchCrop = argument("--crop").flatMap { Int($0) } ?? 100

/// A fresh `benchModel` with 2 classes.
func makeBenchModel() throws -> Module {
    if let depth = ResNet.Depth(name: benchModel) { return try ResNet(depth: depth, classes: 2) }
    return try ModelZoo.make(benchModel, classes: 2, initializer: WeightInitializer(seed: 0))
}

func runModelBenchmark(quick: Bool, precision: Precision) {
    let threads = Device.default.threads
    let tutorialCase = benchModel == "resnet18" && benchCrop == 100  // the case the quoted PyTorch figures and the ceiling are for
    do {
        let model = try makeBenchModel()
        if !CommandLine.arguments.contains("--json") {
            print("\n== PetalNN: \(model.layerDescription) (2 classes), \(benchCrop)×\(benchCrop)×3 input, \(precision == .bf16 ? "bf16 convolutions (fp32 weights and other ops)" : "fp32"), \(threads) threads")
        }
        model.setConvolutionPrecision(precision)
        model.setConvolutionAlgorithm(benchConvolutionAlgorithm)
        let steps = quick ? 3 : 10
        let t = try Throughput.measure(model, classes: 2, inputShape: [32, 3, benchCrop, benchCrop], steps: steps, latencyRuns: quick ? 10 : 50)
        if CommandLine.arguments.contains("--probe-optimizer") {
            var g = SeededGenerator(seed: 1)
            let batch = try Tensor.randomNormal([32, 3, benchCrop, benchCrop], generator: &g)
            let opt = try SGD(parameters: model.parameters, learningRate: 0.01, momentum: 0.9, clipping: .normPerTensor(1))
            model.train()
            try model(batch).softmaxCrossEntropy(labels: (0..<32).map { $0 % 2 }).backward()
            let seconds = medianSeconds(warmup: 1, minimumRuns: 5, seconds: 0) { try! opt.step() }
            print(String(format: "optimizerStepProbe: SGD momentum + clipnorm step over %d parameters: %.1f ms", model.parameterCount, seconds * 1000))
        }
        if CommandLine.arguments.contains("--profile") {
            try profileTrainingSteps(model, precision: precision)
            try profileInference(model, precision: precision, batch: 32, runs: 10)
            try profileInference(model, precision: precision, batch: 1, runs: 50)
        }
        let (trainRate, inferRate, latency) = (t.trainImagesPerSecond, t.inferImagesPerSecond, t.latencyMilliseconds / 1000)
        let train = 32 / trainRate
        if CommandLine.arguments.contains("--json") {
            let ceiling = precision == .fp32 && tutorialCase ? try fp32CeilingGFLOPs() : nil
            let ceilingField = ceiling.map { ", \"ceiling_gflops\": \($0), \"ceiling_train_ips\": \($0 / resNet18TrainingGFLOPsPerImage)" } ?? ""
            print("{\"train_ips\": \(trainRate), \"infer_ips\": \(inferRate), \"latency_ms\": \(t.latencyMilliseconds), \"peak_rss_mb\": \(peakResidentMegabytes()), \"precision\": \"\(precision)\", \"convolution\": \"\(benchConvolutionAlgorithm)\"\(ceilingField)}")
            return
        }
        guard tutorialCase else {
            print(String(format: "training step, batch 32:   %6.1f images/s\ninference, batch 32:       %6.1f images/s\ninference latency, batch 1: %5.1f ms",
                         trainRate, inferRate, latency * 1000))
            return
        }
        if precision == .bf16 {
            print(String(format: "training step, batch 32:   %6.1f images/s  (%.0f ms/step)   PyTorch bf16 autocast NCHW 72 → ×%.2f, channels-last 83 → ×%.2f",
                         trainRate, train * 1000, trainRate / 72, trainRate / 83))
            print(String(format: "inference, batch 32:       %6.1f images/s                   PyTorch bf16 channels-last 500 → ×%.2f", inferRate, inferRate / 500))
        } else {
            print(String(format: "training step, batch 32:   %6.1f images/s  (%.0f ms/step)   PyTorch NCHW 47 → ×%.2f, channels-last 55 → ×%.2f",
                         trainRate, train * 1000, trainRate / 47, trainRate / 55))
            print(String(format: "inference, batch 32:       %6.1f images/s                   PyTorch 170–183 → ×%.2f", inferRate, inferRate / 176.5))
        }
        print(String(format: "inference latency, batch 1: %5.1f ms                         PyTorch 10.7 ms → ×%.2f", latency * 1000, 10.7 / (latency * 1000)))
    } catch {
        print("model benchmark failed: \(error.localizedDescription)")
    }
}


/// `--profile`: where a prediction's time goes (eval mode, fused convolutions).
func profileInference(_ model: Module, precision: Precision, batch: Int, runs: Int) throws {
    var g = SeededGenerator(seed: 4)
    let one = try Tensor.randomNormal([batch, 3, benchCrop, benchCrop], generator: &g)
    let fused = model.fusedForInference()
    func predict() throws { _ = try fused(one) }
    for _ in 0..<5 { try predict() }
    try printProfile("\(precision.rawValue) batch-\(batch) prediction", per: "run", runs: runs, decimals: 3, predict)
}

/// Runs `body` `runs` times with per-primitive timing on (Petal's own timer; see ExecutionProfile) and prints the
/// time per run, oneDNN's share of it and the slowest primitives.
func printProfile(_ what: String, per unit: String, runs: Int, decimals: Int, byShape: Bool = false, rows shown: Int = 14,
                  _ body: () throws -> Void) throws {
    Device.default.startProfiling(byShape: byShape)
    let t0 = Date()
    for _ in 0..<runs { try body() }
    let total = Date().timeIntervalSince(t0) * 1000 / Double(runs)
    let rows = Device.default.stopProfiling()
    let inside = rows.reduce(0) { $0 + $1.milliseconds } / Double(runs)
    let ms = "%.\(max(decimals - 1, 0))f"
    print(String(format: "profile, %@: \(ms) ms, of which oneDNN \(ms) ms and outside it \(ms) ms", what, total, inside, total - inside))
    for r in rows.prefix(shown) {
        print(String(format: "  %7.\(decimals)f ms/\(unit) %5.1f×  %@", r.milliseconds / Double(runs), Double(r.count) / Double(runs), r.primitive))
    }
}

/// Direct-convolution arithmetic of one ResNet-18 training step at 100×100, per image: 0.8825 GFLOP forward (every
/// convolution's 2·Cin·Cout·k²·Hout·Wout), ×3 for forward, backward-data and backward-weights.
let resNet18TrainingGFLOPsPerImage = 2.6476

/// What this machine's fp32 arithmetic reaches right now: a 2048³ sgemm (oneDNN's), median of 5 after a warm-up,
/// in GFLOP/s. Measured in the same process as the model, so the issue's "share of the ceiling" is a same-run ratio.
func fp32CeilingGFLOPs() throws -> Double {
    var g = SeededGenerator(seed: 9)
    let a = try Tensor.randomNormal([2048, 2048], generator: &g), b = try Tensor.randomNormal([2048, 2048], generator: &g)
    let seconds = medianSeconds(warmup: 1, minimumRuns: 5, seconds: 0) { _ = try! withoutGradients { try a.matmul(b) } }
    return 2 * pow(2048, 3) / seconds / 1e9
}

/// `--profile`: where a training step's time goes, per oneDNN primitive (Petal's own timer; see ExecutionProfile).
func profileTrainingSteps(_ model: Module, precision: Precision, steps: Int = 5) throws {
    var g = SeededGenerator(seed: 2)
    let batch = try Tensor.randomNormal([32, 3, benchCrop, benchCrop], generator: &g)
    let labels = (0..<32).map { $0 % 2 }
    let sgd = try SGD(parameters: model.parameters, learningRate: 0.01)
    model.train()
    func step() throws { try Throughput.trainingStep(model, batch, labels: labels, optimizer: sgd) }
    try step()
    try printProfile("\(precision.rawValue) training step", per: "step", runs: steps, decimals: 1, step)
}
