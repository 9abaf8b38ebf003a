// Constant padding of an NCHW tensor's height and width, each side on its own: what Keras' and TensorFlow's
// padding="same" needs when the total is odd (the extra pixel goes after), which convolution and pooling padding,
// equal on both sides, cannot express.
import CDNNL

extension Tensor {
    /// `self` ([N, C, H, W]) with `top`, `left`, `bottom` and `right` rows and columns of `value` added around each plane.
    /// The gradient is the incoming gradient with the border cut away. −∞ pads a max pooling that must ignore the border.
    public func padded(top: Int, left: Int, bottom: Int, right: Int, value: Float = 0) throws -> Tensor {
        guard rank == 4 else { throw TensorError.shapeMismatch(op: "pad", message: "input must be NCHW (rank 4), got \(describe(shape))") }
        guard min(top, left, bottom, right) >= 0 else {
            throw TensorError.invalidArgument(op: "pad", message: "padding must not be negative, got \([top, left, bottom, right])")
        }
        return try traced([.pad(top: top, left: left, bottom: bottom, right: right, value: value)], [self]) {
            let (planes, h, w) = (shape[0] * shape[1], shape[2], shape[3])
            let (outH, outW) = (h + top + bottom, w + left + right)
            // The border is written once in Swift; the interior by a oneDNN reorder into a view of the padded buffer,
            // which a single-image recording replays (the buffer, kept by the recording, keeps its border).
            let out = Memory(desc: .plain([shape[0], shape[1], outH, outW]))
            out.data.initializeMemory(as: Float.self, repeating: value, count: planes * outH * outW)
            var parent = out.desc.raw, view = dnnl_memory_desc_t()
            let dims: [dnnl_dim_t] = shape.map { dnnl_dim_t($0) } + [0, 0, 0, 0]
            let offsets: [dnnl_dim_t] = [0, 0, dnnl_dim_t(top), dnnl_dim_t(left)] + [0, 0, 0, 0]
            try dnnlCheck(dims.withUnsafeBufferPointer { d in offsets.withUnsafeBufferPointer { o in
                dnnl_memory_desc_init_submemory(&view, &parent, d.baseAddress, o.baseAddress)
            } }, "memory_desc_init_submemory")
            reorder(storage.memory(.plain(shape)), into: Memory(desc: MemoryDesc(raw: view), borrowing: out.data, owner: out))
            let padded = Tensor(shape: out.desc.dims, wrapping: out)
            let inputShape = shape
            return padded.recorded("pad", [self]) { g, _ in
                let from = g.storage.plain
                return [Tensor.make(inputShape) { o in
                    for p in 0..<planes {
                        for y in 0..<h { (o.baseAddress! + (p * h + y) * w).update(from: from + (p * outH + y + top) * outW + left, count: w) }
                    }
                }]
            }
        }
    }
}
