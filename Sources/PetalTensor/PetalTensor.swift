// PetalTensor: Float32 tensors, reverse-mode autodiff and oneDNN kernels.
