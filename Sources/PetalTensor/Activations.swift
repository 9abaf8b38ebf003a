// The activations of the efficient backbones (MobileNetV3's hard-swish and hard-sigmoid, EfficientNet's SiLU,
// ConvNeXt's and ViT's GELU) and the sigmoid gates of squeeze-and-excitation, on oneDNN's eltwise primitive with its
// backward pass, in whatever layout the input has. oneDNN 2.6 has no hard-sigmoid, so it is its linear map followed
// by a clip, two eltwise primitives.
import CDNNL

/// An elementwise activation (ReLU has its own op, ``Tensor/relu()``, which convolutions and batch norms fuse).
public enum Activation: String, CaseIterable, Sendable, Equatable {
    /// 1 / (1 + e^−x).
    case sigmoid
    /// PyTorch's `Hardsigmoid`: clamp(x / 6 + 1/2, 0, 1).
    case hardSigmoid
    /// PyTorch's `Hardswish`: x · clamp(x + 3, 0, 6) / 6.
    case hardSwish
    /// SiLU (swish): x · sigmoid(x).
    case silu
    /// GELU with the exact Gaussian CDF: x · Φ(x) (PyTorch's default).
    case gelu
    /// GELU with the tanh approximation (PyTorch's `approximate="tanh"`).
    case geluTanh

    /// oneDNN's algorithm and parameters, as one or two eltwise steps applied in order.
    var steps: [(algorithm: dnnl_alg_kind_t, alpha: Float, beta: Float)] {
        switch self {
        case .sigmoid: [(dnnl_eltwise_logistic, 0, 0)]
        case .hardSigmoid: [(dnnl_eltwise_linear, 1 / 6, 0.5), (dnnl_eltwise_clip_v2, 0, 1)]
        case .hardSwish: [(dnnl_eltwise_hardswish, 0, 0)]
        case .silu: [(dnnl_eltwise_swish, 1, 0)]
        case .gelu: [(dnnl_eltwise_gelu_erf, 0, 0)]
        case .geluTanh: [(dnnl_eltwise_gelu_tanh, 0, 0)]
        }
    }
}

extension Tensor {
    /// `activation` applied elementwise, differentiable.
    public func activated(_ activation: Activation) throws -> Tensor {
        try traced([.activation(activation)], [self]) {
            var y = self
            for step in activation.steps { y = try y.eltwise(step.algorithm, alpha: step.alpha, beta: step.beta) }
            return y
        }
    }

    /// 1 / (1 + e^−x) elementwise.
    public func sigmoid() throws -> Tensor { try activated(.sigmoid) }
    /// clamp(x / 6 + 1/2, 0, 1) elementwise.
    public func hardSigmoid() throws -> Tensor { try activated(.hardSigmoid) }
    /// x · clamp(x + 3, 0, 6) / 6 elementwise.
    public func hardSwish() throws -> Tensor { try activated(.hardSwish) }
    /// x · sigmoid(x) elementwise.
    public func silu() throws -> Tensor { try activated(.silu) }
    /// x · Φ(x) elementwise; `tanhApproximation` uses GELU's tanh formula instead of the exact CDF.
    public func gelu(tanhApproximation: Bool = false) throws -> Tensor { try activated(tanhApproximation ? .geluTanh : .gelu) }

    /// One oneDNN eltwise step, recording its backward pass (which reads this input).
    private func eltwise(_ algorithm: dnnl_alg_kind_t, alpha: Float, beta: Float) throws -> Tensor {
        let src = storage.preferredMemory(dims: shape)
        let name = "eltwise \(algorithm.rawValue) \(alpha) \(beta)"
        let forward = try Device.current.cache.primitive(PrimitiveKey(name + " fwd", src.desc)) {
            var d = dnnl_eltwise_desc_t()
            var md = src.desc.raw
            try dnnlCheck(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_training, algorithm, &md, alpha, beta), "\(name) forward")
            return try Primitive(opDesc: &d, name: "\(name) forward")
        }
        let dst = forward.run(reading: [(Arg.src, self)], writing: [Arg.dst])[0]
        let input = detached()
        return Tensor(shape: shape, wrapping: dst).recorded(name, [self]) { g, _ in
            let data = input.storage.preferredMemory(dims: input.shape)
            let backward = try Device.current.cache.primitive(PrimitiveKey(name + " bwd", data.desc)) {
                var d = dnnl_eltwise_desc_t()
                var md = data.desc.raw
                try dnnlCheck(dnnl_eltwise_backward_desc_init(&d, algorithm, &md, &md, alpha, beta), "\(name) backward")
                return try Primitive(opDesc: &d, hint: forward, name: "\(name) backward")
            }
            return [Tensor(shape: input.shape, wrapping: backward.run(reading: [(Arg.src, input), (Arg.diffDst, g)], writing: [Arg.diffSrc])[0])]
        }
    }
}
