// petal-bench: release-build benchmarks, printed as figures and as ratios against a reference run in the same process.
// `--quick` runs each case briefly (a smoke check); without it, each case repeats until its timing is stable.
import Foundation
import PetalTensor
Device.keepFreedMemoryMapped()
let quick = CommandLine.arguments.contains("--quick")
/// The algorithm every benchmarked model's convolutions use (`--convolution`); a per-model setting, applied where models are made.
nonisolated(unsafe) var benchConvolutionAlgorithm = ConvolutionAlgorithm.auto
// `--only tensor|image|model|data|tutorial` runs one group; `--bf16` runs the model group in bf16 only; `--json`
// prints the model figures (fp32, or bf16 with `--bf16`) or the tutorial's epoch times as one JSON line (for
// Benchmarks/compare); `--probe-optimizer` times one SGD step; `--probe-convolutions [--batch N]` lists every oneDNN kernel;
// `--compare-algorithms` alternates direct and auto (Winograd) convolutions in ResNet-18; `--convolution auto|direct`
// sets the algorithm for the whole run; `--probe-latency` runs only batch-1 predictions (for a profiler);
// `--compare-layouts` alternates nChw16c and channels-last convolutions in batch-1 predictions; `--compare-session`
// calling the model against an InferenceSession; `--compare-int8 [--keep-first] [--profile]` alternates fp32 and int8
// inference of the same model.
if CommandLine.arguments.contains("--probe-convolutions") {
    let batch = CommandLine.arguments.firstIndex(of: "--batch").flatMap { Int(CommandLine.arguments.dropFirst($0 + 1).first ?? "") } ?? 32
    runConvolutionProbe(precision: CommandLine.arguments.contains("--bf16") ? .bf16 : .fp32, batch: batch)
    exit(0)
}
if let i = CommandLine.arguments.firstIndex(of: "--convolution") {
    guard let name = CommandLine.arguments.dropFirst(i + 1).first, let algorithm = ConvolutionAlgorithm(rawValue: name) else {
        print("--convolution takes auto or direct"); exit(2)
    }
    benchConvolutionAlgorithm = algorithm
}
if CommandLine.arguments.contains("--probe-latency") {
    do { try runLatencyProbe(precision: CommandLine.arguments.contains("--bf16") ? .bf16 : .fp32) } catch { print("latency probe failed: \(error)") }
    exit(0)
}
if CommandLine.arguments.contains("--compare-session") {
    do { try runSessionComparison() } catch { print("comparison failed: \(error)") }
    exit(0)
}
if CommandLine.arguments.contains("--compare-layouts") {
    do { try runLayoutComparison() } catch { print("comparison failed: \(error)") }
    exit(0)
}
if CommandLine.arguments.contains("--compare-int8") {
    do { try runInt8Comparison() } catch { print("comparison failed: \(error)") }
    exit(0)
}
if CommandLine.arguments.contains("--compare-algorithms") {
    do { try runAlgorithmComparison(precision: CommandLine.arguments.contains("--bf16") ? .bf16 : .fp32) } catch { print("comparison failed: \(error)") }
    exit(0)
}
let only = CommandLine.arguments.firstIndex(of: "--only").flatMap { CommandLine.arguments.dropFirst($0 + 1).first }
if only == nil || only == "tensor" { runTensorBenchmarks(quick: quick) }
if only == nil || only == "image" { runImageBenchmarks(quick: quick) }
if only == nil || only == "model" { runModelBenchmarks(quick: quick) }
if only == nil || only == "data" { runDataBenchmarks(quick: quick) }
if only == nil || only == "tutorial" { runTutorialBenchmark(quick: quick) }
