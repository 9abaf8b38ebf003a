// Image benchmarks (morphology, warp, JPEG decode) arrive with PetalImage.
func runImageBenchmarks(quick: Bool) {}
