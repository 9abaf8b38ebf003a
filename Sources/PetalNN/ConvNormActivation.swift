// torchvision's `Conv2dNormActivation`, the unit MobileNetV3 and EfficientNet are built from: a convolution without
// bias, a batch norm, then a nonlinearity (none for a projection), named "0", "1", "2" as torchvision names them.

/// What follows the batch norm of a ``ConvNormActivation``.
public enum ConvNormTail: Sendable, Equatable {
    /// ReLU (its own op, which convolutions and batch norms fuse).
    case relu
    /// An elementwise ``Activation`` (hard-swish, SiLU, …).
    case activation(Activation)
    /// Nothing: a linear projection.
    case none

    /// The layer it adds, if any.
    var layers: [Module] {
        switch self {
        case .relu: [ReLU()]
        case .activation(let a): [ActivationLayer(a)]
        case .none: []
        }
    }
}

/// Builds torchvision's `Conv2dNormActivation`.
enum ConvNormActivation {
    /// A `kernel`×`kernel` convolution (padding `(kernel − 1) / 2`, so stride 1 keeps the size), a batch norm with
    /// PyTorch's `momentum` and `epsilon`, then `tail`.
    static func make(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1, groups: Int = 1, momentum: Float, epsilon: Float,
                     then tail: ConvNormTail, _ g: WeightInitializer) throws -> Sequential {
        let conv = try Conv2D(input, output, kernel: Size2D(kernel, kernel), stride: Size2D(stride, stride), padding: Size2D((kernel - 1) / 2, (kernel - 1) / 2),
                              groups: groups, bias: false, initializer: g)
        return Sequential([conv, try BatchNorm2D(output, momentum: momentum, epsilon: epsilon)] + tail.layers)
    }
}
