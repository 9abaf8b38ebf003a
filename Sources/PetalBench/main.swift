// petal-bench: release-build benchmarks, printed as figures and as ratios against a reference run in the same process.
// `--quick` runs each case briefly (a smoke check); without it, each case repeats until its timing is stable.
import Foundation
let quick = CommandLine.arguments.contains("--quick")
// `--only tensor|image|model|data|tutorial` runs one group; `--bf16` runs the model group in bf16 only; `--json`
// prints the model figures (fp32, or bf16 with `--bf16`) or the tutorial's epoch times as one JSON line (for
// Benchmarks/compare); `--probe-optimizer` times one SGD step; `--probe-convolutions [--batch N]` lists every oneDNN kernel.
if CommandLine.arguments.contains("--probe-convolutions") {
    let batch = CommandLine.arguments.firstIndex(of: "--batch").flatMap { Int(CommandLine.arguments.dropFirst($0 + 1).first ?? "") } ?? 32
    runConvolutionProbe(precision: CommandLine.arguments.contains("--bf16") ? .bf16 : .fp32, batch: batch)
    exit(0)
}
let only = CommandLine.arguments.firstIndex(of: "--only").flatMap { CommandLine.arguments.dropFirst($0 + 1).first }
if only == nil || only == "tensor" { runTensorBenchmarks(quick: quick) }
if only == nil || only == "image" { runImageBenchmarks(quick: quick) }
if only == nil || only == "model" { runModelBenchmarks(quick: quick) }
if only == nil || only == "data" { runDataBenchmarks(quick: quick) }
if only == nil || only == "tutorial" { runTutorialBenchmark(quick: quick) }
