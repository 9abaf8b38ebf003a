// The sliding-window geometry shared by convolution and pooling, with PyTorch's output-size rules.

/// A height × width pair (stride, padding, dilation, kernel size). An integer literal means both.
public struct Size2D: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) { self.height = height; self.width = width }
    public init(integerLiteral value: Int) { self.init(value, value) }

    public var description: String { height == width ? "\(height)" : "(\(height), \(width))" }
}

/// A window sliding over an input plane: output size and the right/bottom padding oneDNN needs.
struct WindowGeometry: Hashable {
    let input: Size2D, kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D
    let ceilMode: Bool
    let output: Size2D
    /// Padding on the bottom/right that makes oneDNN's size formula give `output` (grows in ceil mode).
    let paddingEnd: Size2D

    init(op: String, input: Size2D, kernel: Size2D, stride: Size2D, padding: Size2D, dilation: Size2D = 1, ceilMode: Bool = false) throws {
        for (name, v) in [("kernel", kernel), ("stride", stride), ("dilation", dilation)] where v.height < 1 || v.width < 1 {
            throw TensorError.invalidArgument(op: op, message: "\(name) must be positive, got \(v)")
        }
        guard padding.height >= 0, padding.width >= 0 else {
            throw TensorError.invalidArgument(op: op, message: "padding must not be negative, got \(padding)")
        }
        func extent(_ k: Int, _ d: Int) -> Int { (k - 1) * d + 1 }
        func outSize(_ i: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int) -> Int {
            let span = i + 2 * p - extent(k, d)
            guard span >= 0 else { return 0 }
            var o = (ceilMode ? (span + s - 1) / s : span / s) + 1
            if ceilMode && (o - 1) * s >= i + p { o -= 1 }  // PyTorch: the last window must start inside the input or left padding
            return o
        }
        let oh = outSize(input.height, kernel.height, stride.height, padding.height, dilation.height)
        let ow = outSize(input.width, kernel.width, stride.width, padding.width, dilation.width)
        guard oh > 0, ow > 0 else {
            throw TensorError.shapeMismatch(op: op, message: "input \(input.height)×\(input.width) is too small for kernel \(kernel) with padding \(padding) and dilation \(dilation)")
        }
        self.input = input; self.kernel = kernel; self.stride = stride; self.padding = padding; self.dilation = dilation
        self.ceilMode = ceilMode
        output = Size2D(oh, ow)
        paddingEnd = Size2D((oh - 1) * stride.height + extent(kernel.height, dilation.height) - input.height - padding.height,
                            (ow - 1) * stride.width + extent(kernel.width, dilation.width) - input.width - padding.width)
    }

    var strides: [Int64] { [Int64(stride.height), Int64(stride.width)] }
    var kernelDims: [Int64] { [Int64(kernel.height), Int64(kernel.width)] }
    /// oneDNN counts dilation from 0 (PyTorch's 1 is oneDNN's 0).
    var dilates: [Int64] { [Int64(dilation.height - 1), Int64(dilation.width - 1)] }
    var padBegin: [Int64] { [Int64(padding.height), Int64(padding.width)] }
    var padEnd: [Int64] { [Int64(paddingEnd.height), Int64(paddingEnd.width)] }
}
