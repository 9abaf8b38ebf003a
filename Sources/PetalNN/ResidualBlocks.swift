// Residual blocks (He et al. 2016, "Deep Residual Learning" and "Identity Mappings in Deep Residual
// Networks"). The original (v1) blocks follow torchvision exactly — parameter names, stride on the 3×3
// convolution of bottlenecks (ResNet v1.5), projection shortcut conv1×1 + BN. The pre-activation blocks
// follow the tutorial's Keras builder (raghakot/keras-resnet): BN → ReLU → conv everywhere, biased
// convolutions (Keras' default), a plain 1×1 convolution as projection shortcut, and no BN-ReLU before
// the very first convolution of the network's first block.

/// A residual block of either kind; `expansion` is output channels / `planes`.
public protocol ResidualBlock: Module {
    static var expansion: Int { get }
    init(inChannels: Int, planes: Int, stride: Int, preActivateInput: Bool, initializer: WeightInitializer) throws
}

/// conv3×3 → BN → ReLU → conv3×3 → BN, plus the shortcut, then ReLU.
public final class BasicBlock: Module, ResidualBlock {
    /// Output channels per `planes` (1 for basic blocks).
    public static let expansion = 1
    let conv1: Conv2D, bn1: BatchNorm2D, conv2: Conv2D, bn2: BatchNorm2D, downsample: Sequential?

    /// - Parameters:
    ///   - inChannels: channels of the block's input.
    ///   - planes: the block's width (its output has `planes · expansion` channels).
    ///   - stride: 2 for a stage's first block (halving H and W), else 1.
    ///   - preActivateInput: pre-activation blocks only: whether the block applies BN–ReLU to its input (the first block
    ///     after the stem does not).
    ///   - initializer: draws the initial weights.
    public init(inChannels: Int, planes: Int, stride: Int, preActivateInput: Bool = true, initializer g: WeightInitializer) throws {
        conv1 = try Conv2D(inChannels, planes, kernel: 3, stride: Size2D(stride, stride), padding: 1, bias: false, initializer: g)
        bn1 = try BatchNorm2D(planes)
        conv2 = try Conv2D(planes, planes, kernel: 3, padding: 1, bias: false, initializer: g)
        bn2 = try BatchNorm2D(planes)
        downsample = stride != 1 || inChannels != planes ? try projection(inChannels, planes, stride, g) : nil
        super.init()
        register(["conv1": conv1, "bn1": bn1, "conv2": conv2, "bn2": bn2, "downsample": downsample],
                 order: ["conv1", "bn1", "conv2", "bn2", "downsample"])
    }

    /// The residual sum of the block's branch and its shortcut.
    public override func forward(_ x: Tensor) throws -> Tensor {
        let h = try bn1(conv1(x), fusedReLU: true)
        let shortcut = try downsample?(x) ?? x
        return try (bn2(conv2(h)) + shortcut).relu()
    }
}

/// conv1×1 → BN → ReLU → conv3×3 (stride) → BN → ReLU → conv1×1 (×4) → BN, plus the shortcut, then ReLU.
public final class Bottleneck: Module, ResidualBlock {
    /// Output channels per `planes` (4 for bottlenecks).
    public static let expansion = 4
    let conv1: Conv2D, bn1: BatchNorm2D, conv2: Conv2D, bn2: BatchNorm2D, conv3: Conv2D, bn3: BatchNorm2D, downsample: Sequential?

    /// - Parameters:
    ///   - inChannels: channels of the block's input.
    ///   - planes: the block's width (its output has `planes · expansion` channels).
    ///   - stride: 2 for a stage's first block (halving H and W), else 1.
    ///   - preActivateInput: pre-activation blocks only: whether the block applies BN–ReLU to its input (the first block
    ///     after the stem does not).
    ///   - initializer: draws the initial weights.
    public init(inChannels: Int, planes: Int, stride: Int, preActivateInput: Bool = true, initializer g: WeightInitializer) throws {
        let out = planes * Self.expansion
        conv1 = try Conv2D(inChannels, planes, kernel: 1, bias: false, initializer: g)
        bn1 = try BatchNorm2D(planes)
        conv2 = try Conv2D(planes, planes, kernel: 3, stride: Size2D(stride, stride), padding: 1, bias: false, initializer: g)
        bn2 = try BatchNorm2D(planes)
        conv3 = try Conv2D(planes, out, kernel: 1, bias: false, initializer: g)
        bn3 = try BatchNorm2D(out)
        downsample = stride != 1 || inChannels != out ? try projection(inChannels, out, stride, g) : nil
        super.init()
        register(["conv1": conv1, "bn1": bn1, "conv2": conv2, "bn2": bn2, "conv3": conv3, "bn3": bn3, "downsample": downsample],
                 order: ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "downsample"])
    }

    /// The residual sum of the block's branch and its shortcut.
    public override func forward(_ x: Tensor) throws -> Tensor {
        var h = try bn1(conv1(x), fusedReLU: true)
        h = try bn2(conv2(h), fusedReLU: true)
        let shortcut = try downsample?(x) ?? x
        return try (bn3(conv3(h)) + shortcut).relu()
    }
}

/// BN → ReLU → conv3×3 → BN → ReLU → conv3×3, plus the shortcut (no ReLU after the sum).
public final class PreActivationBasicBlock: Module, ResidualBlock {
    /// Output channels per `planes` (1 for basic blocks).
    public static let expansion = 1
    let bn1: BatchNorm2D?, conv1: Conv2D, bn2: BatchNorm2D, conv2: Conv2D, downsample: Sequential?

    /// - Parameters:
    ///   - inChannels: channels of the block's input.
    ///   - planes: the block's width (its output has `planes · expansion` channels).
    ///   - stride: 2 for a stage's first block (halving H and W), else 1.
    ///   - preActivateInput: pre-activation blocks only: whether the block applies BN–ReLU to its input (the first block
    ///     after the stem does not).
    ///   - initializer: draws the initial weights.
    public init(inChannels: Int, planes: Int, stride: Int, preActivateInput: Bool = true, initializer g: WeightInitializer) throws {
        bn1 = preActivateInput ? try BatchNorm2D(inChannels) : nil
        conv1 = try Conv2D(inChannels, planes, kernel: 3, stride: Size2D(stride, stride), padding: 1, initializer: g)
        bn2 = try BatchNorm2D(planes)
        conv2 = try Conv2D(planes, planes, kernel: 3, padding: 1, initializer: g)
        downsample = stride != 1 || inChannels != planes ? try plainProjection(inChannels, planes, stride, g) : nil
        super.init()
        register(["bn1": bn1, "conv1": conv1, "bn2": bn2, "conv2": conv2, "downsample": downsample],
                 order: ["bn1", "conv1", "bn2", "conv2", "downsample"])
    }

    /// The residual sum of the block's branch and its shortcut.
    public override func forward(_ x: Tensor) throws -> Tensor {
        let a = try bn1.map { try $0(x, fusedReLU: true) } ?? x
        let h = try bn2(conv1(a), fusedReLU: true)
        let shortcut = try downsample?(x) ?? x
        return try conv2(h) + shortcut
    }
}

/// BN → ReLU → conv1×1 (stride) → BN → ReLU → conv3×3 → BN → ReLU → conv1×1 (×4), plus the shortcut.
public final class PreActivationBottleneck: Module, ResidualBlock {
    /// Output channels per `planes` (4 for bottlenecks).
    public static let expansion = 4
    let bn1: BatchNorm2D?, conv1: Conv2D, bn2: BatchNorm2D, conv2: Conv2D, bn3: BatchNorm2D, conv3: Conv2D, downsample: Sequential?

    /// - Parameters:
    ///   - inChannels: channels of the block's input.
    ///   - planes: the block's width (its output has `planes · expansion` channels).
    ///   - stride: 2 for a stage's first block (halving H and W), else 1.
    ///   - preActivateInput: pre-activation blocks only: whether the block applies BN–ReLU to its input (the first block
    ///     after the stem does not).
    ///   - initializer: draws the initial weights.
    public init(inChannels: Int, planes: Int, stride: Int, preActivateInput: Bool = true, initializer g: WeightInitializer) throws {
        let out = planes * Self.expansion
        bn1 = preActivateInput ? try BatchNorm2D(inChannels) : nil
        // keras-resnet strides the first 1×1 convolution (torchvision's v1.5 strides the 3×3 instead).
        conv1 = try Conv2D(inChannels, planes, kernel: 1, stride: Size2D(stride, stride), initializer: g)
        bn2 = try BatchNorm2D(planes)
        conv2 = try Conv2D(planes, planes, kernel: 3, padding: 1, initializer: g)
        bn3 = try BatchNorm2D(planes)
        conv3 = try Conv2D(planes, out, kernel: 1, initializer: g)
        downsample = stride != 1 || inChannels != out ? try plainProjection(inChannels, out, stride, g) : nil
        super.init()
        register(["bn1": bn1, "conv1": conv1, "bn2": bn2, "conv2": conv2, "bn3": bn3, "conv3": conv3, "downsample": downsample],
                 order: ["bn1", "conv1", "bn2", "conv2", "bn3", "conv3", "downsample"])
    }

    /// The residual sum of the block's branch and its shortcut.
    public override func forward(_ x: Tensor) throws -> Tensor {
        let a = try bn1.map { try $0(x, fusedReLU: true) } ?? x
        var h = try bn2(conv1(a), fusedReLU: true)
        h = try bn3(conv2(h), fusedReLU: true)
        let shortcut = try downsample?(x) ?? x
        return try conv3(h) + shortcut
    }
}

/// torchvision's projection shortcut: conv1×1 (stride, no bias) → BN, named `downsample.0` / `downsample.1`.
private func projection(_ inChannels: Int, _ out: Int, _ stride: Int, _ g: WeightInitializer) throws -> Sequential {
    Sequential(try Conv2D(inChannels, out, kernel: 1, stride: Size2D(stride, stride), bias: false, initializer: g), try BatchNorm2D(out))
}

/// keras-resnet's projection shortcut: a biased conv1×1 with stride, no BN, named `downsample.0`.
private func plainProjection(_ inChannels: Int, _ out: Int, _ stride: Int, _ g: WeightInitializer) throws -> Sequential {
    Sequential(try Conv2D(inChannels, out, kernel: 1, stride: Size2D(stride, stride), initializer: g))
}

extension Module {
    /// Registers the non-nil children in the given order (the order fixes the state-dict order).
    func register(_ children: [String: Module?], order: [String]) {
        for name in order { if let m = children[name] ?? nil { registerChild(name, m) } }
    }
}
