/// A 2-D convolution layer: weight [out, in / groups, kh, kw] and an optional bias [out].
public final class Conv2D: Module {
    /// Input and output channels.
    public let inChannels: Int, outChannels: Int
    /// Kernel size, stride, zero padding (each side) and dilation, per axis.
    public let kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D
    /// Independent channel groups (1: an ordinary convolution).
    public let groups: Int
    /// The arithmetic of this layer's convolution (fp32 by default; `Module.setConvolutionPrecision` sets a whole model).
    public var precision: Precision = .fp32
    /// How this layer's convolution is computed (Winograd where it pays by default; `Module.setConvolutionAlgorithm`
    /// sets a whole model). A per-layer setting, so two models in one process can differ.
    public var algorithm: ConvolutionAlgorithm = .auto
    /// fp32 inference on a single image runs channels-last kernels (faster there; the default) instead of 16-channel
    /// blocks. The values agree within rounding; `petal-bench --compare-layouts` measures the two.
    public var singleImageChannelsLast = true
    /// Keras' `kernel_regularizer=l2(λ)`: λ·Σw² of the kernel joins the training loss (its gradient 2λ·w), 0 for none.
    /// Unlike weight decay it reaches only this kernel, not biases or batch-norm parameters.
    public var kernelL2: Float = 0
    /// Keras' padding="same" in place of `padding`: the output has ⌈input / stride⌉ rows and columns, and an odd
    /// total padding puts its extra row or column after (below, right).
    public var samePadding = false

    /// - Parameters:
    ///   - bias: whether to learn a per-channel offset (off when a batch norm follows).
    ///   - initializer: draws the He-normal initial weights (fan-out, as torchvision's ResNets).
    public init(_ inChannels: Int, _ outChannels: Int, kernel: Size2D, stride: Size2D = 1, padding: Size2D = 0,
                dilation: Size2D = 1, groups: Int = 1, bias: Bool = true, initializer: WeightInitializer) throws {
        guard inChannels > 0, outChannels > 0, groups > 0, inChannels % groups == 0, outChannels % groups == 0 else {
            throw ModelError.invalidConfiguration("Conv2D(\(inChannels)→\(outChannels), groups \(groups)): channels must be positive and divisible by groups")
        }
        guard kernel.height > 0, kernel.width > 0, stride.height > 0, stride.width > 0 else {
            throw ModelError.invalidConfiguration("Conv2D(\(inChannels)→\(outChannels)): kernel \(kernel) and stride \(stride) must be positive")
        }
        (self.inChannels, self.outChannels, self.kernel, self.stride, self.padding, self.dilation, self.groups)
            = (inChannels, outChannels, kernel, stride, padding, dilation, groups)
        let shape = [outChannels, inChannels / groups, kernel.height, kernel.width]
        weight = try initializer.heNormal(shape, fan: outChannels * kernel.height * kernel.width / groups).requiringGradient()
        self.bias = bias ? try Tensor.zeros([outChannels]).requiringGradient() : nil
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    /// The kernel, [out, in / groups, kh, kw] (loading a checkpoint writes into it).
    public let weight: Tensor
    /// The per-channel offset [out], when the layer has one.
    public let bias: Tensor?

    /// Convolves `x` (NCHW) with this layer's precision and algorithm.
    public override func forward(_ x: Tensor) throws -> Tensor {
        let (input, padding) = samePadding ? try SamePadding.apply(x, kernel: kernel, stride: stride, dilation: dilation, value: 0) : (x, padding)
        return try input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation, groups: groups,
                                precision: precision, algorithm: algorithm, singleImageChannelsLast: singleImageChannelsLast)
    }

    /// How this layer's convolution is computed: its precision, algorithm and batch-1 layout together.
    public var settings: ConvolutionSettings {
        ConvolutionSettings(precision: precision, algorithm: algorithm, singleImageChannelsLast: singleImageChannelsLast)
    }

    /// "Conv2D(in→out, kernel …)".
    public override var layerDescription: String {
        var parts = ["\(inChannels)→\(outChannels)", "kernel \(kernel)"]
        if stride != 1 { parts.append("stride \(stride)") }
        if samePadding { parts.append("padding same") } else if padding != 0 { parts.append("padding \(padding)") }
        if groups != 1 { parts.append("groups \(groups)") }
        return "Conv2D(" + parts.joined(separator: ", ") + ")"
    }
}
