// petal-bench: release-build benchmarks, printed as figures and as ratios against a reference run in the same process.
// `--quick` runs each case briefly (a smoke check); without it, each case repeats until its timing is stable.
let quick = CommandLine.arguments.contains("--quick")
runTensorBenchmarks(quick: quick)
runImageBenchmarks(quick: quick)
