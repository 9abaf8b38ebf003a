// ReLU on oneDNN's eltwise primitive, in whatever layout the input already has (no reorder).
import CDNNL

extension Tensor {
    /// max(x, 0) elementwise.
    public func relu() throws -> Tensor { try traced([.relu], [self]) { try reluForward() } }

    private func reluForward() throws -> Tensor {
        let src = storage.preferredMemory(dims: shape)
        let device = Device.current
        let fwd = try device.cache.primitive(PrimitiveKey("relu_fwd", src.desc)) {
            var d = dnnl_eltwise_desc_t()
            var md = src.desc.raw
            try dnnlCheck(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_training, dnnl_eltwise_relu, &md, 0, 0), "relu forward")
            return try Primitive(opDesc: &d, name: "relu forward")
        }
        let dst = fwd.run(reading: [(Arg.src, self)], writing: [Arg.dst])[0]
        let input = detached()
        return Tensor(shape: shape, wrapping: dst).recorded("relu", [self]) { g, _ in
            [try Tensor.reluBackward(gradient: g, input: input, forward: fwd)]
        }
    }

    static func reluBackward(gradient g: Tensor, input x: Tensor, forward: Primitive) throws -> Tensor {
        let data = x.storage.preferredMemory(dims: x.shape)
        let bwd = try Device.current.cache.primitive(PrimitiveKey("relu_bwd", data.desc)) {
            var d = dnnl_eltwise_desc_t()
            var md = data.desc.raw
            try dnnlCheck(dnnl_eltwise_backward_desc_init(&d, dnnl_eltwise_relu, &md, &md, 0, 0), "relu backward")
            return try Primitive(opDesc: &d, hint: forward, name: "relu backward")
        }
        return Tensor(shape: x.shape, wrapping: bwd.run(reading: [(Arg.src, x), (Arg.diffDst, g)], writing: [Arg.diffSrc])[0])
    }
}
