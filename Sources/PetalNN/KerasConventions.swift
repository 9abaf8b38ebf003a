// Keras' layer conventions as a transform of a module tree: the same blocks, computed as a Keras model of them
// computes. keras-resnet (the tutorial's network) is the pre-activation ResNet under this transform.
import PetalTensor

extension Module {
    /// Makes every layer of this tree follow Keras' conventions:
    /// - batch norms: momentum 0.99 (0.01 in PyTorch's convention), ε 10⁻³, the running variance updated with the
    ///   batch's biased variance (`BatchNormalization()`);
    /// - convolutions and max pooling: padding="same" (`Conv2D.samePadding`, `MaxPool2D.samePadding`); a convolution's
    ///   own padding is no longer used;
    /// - convolution kernels: `kernel_regularizer=l2(kernelL2)` when `kernelL2` is positive (`Conv2D.kernelL2`);
    /// - with an `initializer`: convolution and dense kernels drawn again from Keras' truncated `he_normal` (keras-resnet
    ///   uses it for its classifier too), biases zero, batch norms at γ 1, β 0, mean 0, variance 1.
    public func adoptKerasConventions(kernelL2: Float = 0, initializer: WeightInitializer? = nil) throws {
        for (_, module) in namedModules {
            switch module {
            case let bn as BatchNorm2D:
                (bn.momentum, bn.epsilon, bn.unbiasedRunningVariance) = (0.01, 1e-3, false)
            case let conv as Conv2D:
                (conv.samePadding, conv.kernelL2) = (true, max(kernelL2, 0))
                if let initializer {
                    let fanIn = conv.inChannels / conv.groups * conv.kernel.height * conv.kernel.width
                    try conv.weight.assign(initializer.kerasHeNormal(conv.weight.shape, fanIn: fanIn))
                    try conv.bias?.assign(Tensor.zeros([conv.outChannels]))
                }
            case let pool as MaxPool2D:
                pool.samePadding = true
            case let dense as Dense:
                if let initializer {
                    try dense.weight.assign(initializer.kerasHeNormal(dense.weight.shape, fanIn: dense.inFeatures))
                    try dense.bias?.assign(Tensor.zeros([dense.outFeatures]))
                }
            default:
                break
            }
        }
    }
}
