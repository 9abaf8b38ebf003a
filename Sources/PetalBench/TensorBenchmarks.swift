// Tensor benchmarks (ResNet-18 convolutions against oneDNN alone) arrive with PetalTensor's kernels.
func runTensorBenchmarks(quick: Bool) {}
