// Keras-style regularisation losses: the penalties layers declare (a convolution's `kernelL2`), summed into one term
// the trainer adds to the data loss, so the reported loss and the gradients are Keras' own.
import PetalTensor

extension Module {
    /// The sum of every layer's penalty, λ·Σw² for each convolution kernel with a `kernelL2` of λ; nil when no layer
    /// declares one. Differentiable: backpropagating it adds 2λ·w to each such kernel's gradient.
    public func regularizationLoss() throws -> Tensor? {
        var total: Tensor?
        for (_, module) in namedModules {
            guard let conv = module as? Conv2D, conv.kernelL2 > 0 else { continue }
            let penalty = try conv.weight.squared().sum() * conv.kernelL2
            total = try total.map { try $0 + penalty } ?? penalty
        }
        return total
    }
}
