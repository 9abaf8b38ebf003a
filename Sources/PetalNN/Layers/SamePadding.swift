// Keras' and TensorFlow's padding="same": the output has ⌈input / stride⌉ rows and columns, and the padding that
// takes is computed from the input's size, the extra pixel of an odd total after. Convolution and pooling layers
// apply it as padding of their own when it is even, else as an explicit pad before a window with none.
import PetalTensor

/// The "same" padding rule, and a window layer's input padded by it.
enum SamePadding {
    /// Rows (or columns) added before and after an input of `size` for a window of `kernel` moving by `stride`.
    static func split(_ size: Int, kernel: Int, stride: Int, dilation: Int = 1) -> (before: Int, after: Int) {
        let output = (size + stride - 1) / stride
        let total = max((output - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
        return (total / 2, total - total / 2)
    }

    /// `x` ready for a window with the padding returned: `x` itself and the symmetric padding when the split is even,
    /// else `x` padded with `value` and no padding left for the window.
    static func apply(_ x: Tensor, kernel: Size2D, stride: Size2D, dilation: Size2D = 1, value: Float) throws -> (Tensor, Size2D) {
        guard x.rank == 4 else { return (x, 0) }  // the window op names the bad shape
        let rows = split(x.shape[2], kernel: kernel.height, stride: stride.height, dilation: dilation.height)
        let columns = split(x.shape[3], kernel: kernel.width, stride: stride.width, dilation: dilation.width)
        if rows.before == rows.after && columns.before == columns.after { return (x, Size2D(rows.before, columns.before)) }
        return (try x.padded(top: rows.before, left: columns.before, bottom: rows.after, right: columns.after, value: value), 0)
    }
}
