// Keras-style regularisation losses: the penalties layers declare (a convolution's `kernelL2`), summed into one term
// the trainer adds to the data loss, so the reported loss and the gradients are Keras' own.
import PetalTensor

extension Module {
    /// The sum of every layer's penalty, λ·Σw² for each convolution kernel with a `kernelL2` of λ; nil when no layer
    /// declares one. Differentiable: backpropagating it adds 2λ·w to each such kernel's gradient.
    public func regularizationLoss() throws -> Tensor? {
        // Runs every training step: walk the tree directly rather than through `namedModules`, which builds names.
        var total: Tensor?
        if let conv = self as? Conv2D, conv.kernelL2 > 0 { total = try conv.weight.squared().sum() * conv.kernelL2 }
        for (_, child) in children {
            guard let penalty = try child.regularizationLoss() else { continue }
            total = try total.map { try $0 + penalty } ?? penalty
        }
        return total
    }
}
