// 8-bit activations between int8 operations. They are kept channels-last (NHWC), the layout oneDNN's int8
// convolutions read and write on x86, so one int8 convolution's output is the next one's input without a reorder.
import CDNNL

/// An NCHW tensor's values as unsigned 8-bit codes of ``QuantizationParameters``, stored channels-last.
///
/// Made by ``Tensor/quantized(_:)`` or by an int8 convolution (``QuantizedConvolution``); turned back into real values
/// by ``dequantized()``.
public struct QuantizedTensor: @unchecked Sendable {
    /// The logical shape [N, C, H, W].
    public let shape: [Int]
    /// What the codes mean.
    public let parameters: QuantizationParameters
    let memory: Memory

    init(shape: [Int], parameters: QuantizationParameters, memory: Memory) {
        (self.shape, self.parameters, self.memory) = (shape, parameters, memory)
    }

    /// The layout of every quantized tensor: u8, channels-last.
    static func layout(_ shape: [Int]) -> MemoryDesc { MemoryDesc(dims: shape, tag: dnnl_acdb, type: dnnl_u8) }

    /// The codes in NCHW order (for tests and inspection).
    public var codes: [UInt8] {
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let p = memory.data.assumingMemoryBound(to: UInt8.self)
        var out = [UInt8](repeating: 0, count: n * c * h * w)
        for i in 0..<n { for y in 0..<h { for x in 0..<w { for k in 0..<c { out[((i * c + k) * h + y) * w + x] = p[((i * h + y) * w + x) * c + k] } } } }
        return out
    }

    /// A quantized tensor holding `codes` (NCHW order) of `shape` [N, C, H, W].
    /// - Throws: `TensorError.shapeMismatch` when the shape is not rank 4 or the count differs.
    public init(shape: [Int], codes: [UInt8], parameters: QuantizationParameters) throws {
        guard shape.count == 4, shape.allSatisfy({ $0 > 0 }), codes.count == shape.reduce(1, *) else {
            throw TensorError.shapeMismatch(op: "QuantizedTensor", message: "\(codes.count) codes for shape \(describe(shape)) (must be NCHW)")
        }
        let memory = Memory(desc: QuantizedTensor.layout(shape))
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let p = memory.data.assumingMemoryBound(to: UInt8.self)
        for i in 0..<n { for y in 0..<h { for x in 0..<w { for k in 0..<c { p[((i * h + y) * w + x) * c + k] = codes[((i * c + k) * h + y) * w + x] } } } }
        self.init(shape: shape, parameters: parameters, memory: memory)
    }

    /// The real values scale · (q − zeroPoint), as an fp32 tensor.
    public func dequantized() -> Tensor {
        // In Swift: oneDNN 2.6's reorder ignores the source zero point on larger tensors (its jit path; a 16×64×25×25
        // activation came back shifted by zeroPoint · scale).
        let (n, c, plane) = (shape[0], shape[1], shape[2] * shape[3])
        let codes = memory.data.assumingMemoryBound(to: UInt8.self)
        var table = [Float](repeating: 0, count: 256)
        for q in 0..<256 { table[q] = parameters.value(UInt8(q)) }
        return Tensor.make(shape) { out in
            for i in 0..<n {
                for p in 0..<plane {
                    let from = codes + (i * plane + p) * c, to = i * c * plane + p
                    for k in 0..<c { out[to + k * plane] = table[Int(from[k])] }
                }
            }
        }
    }

    /// Max pooling of the codes, which is max pooling of the values (the map from codes to values increases);
    /// the result has these parameters. Arguments as ``Tensor/maxPool2d(kernel:stride:padding:ceilMode:)``.
    /// - Throws: as ``Tensor/maxPool2d(kernel:stride:padding:ceilMode:)``.
    public func maxPool2d(kernel: Size2D, stride: Size2D? = nil, padding: Size2D = 0, ceilMode: Bool = false) throws -> QuantizedTensor {
        let op = "maxPool2d (int8)"
        guard padding.height * 2 <= kernel.height, padding.width * 2 <= kernel.width else {
            throw TensorError.invalidArgument(op: op, message: "padding \(padding) must be at most half the kernel \(kernel)")
        }
        let stride = stride ?? kernel
        let g = try WindowGeometry(op: op, input: Size2D(shape[2], shape[3]), kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
        let outDims = [shape[0], shape[1], g.output.height, g.output.width]
        let key = PrimitiveKey("\(op) k\(kernel) s\(stride) p\(padding) ceil:\(ceilMode)", memory.desc)
        let plan = try Device.current.cache.plan(key) {
            try PoolingPlan(src: memory.desc, outputDims: outDims, geometry: g, algorithm: dnnl_pooling_max, training: false, divisorCorrection: nil)
        }
        let out = Memory(desc: QuantizedTensor.layout(outDims))
        plan.forward.execute([(Arg.src, memory), (Arg.dst, out)])
        return QuantizedTensor(shape: outDims, parameters: parameters, memory: out)
    }
}

extension Tensor {
    /// This NCHW tensor's values as codes of `parameters` (rounded half to even, clamped to 0…255).
    /// - Throws: `TensorError.shapeMismatch` unless the tensor is rank 4.
    public func quantized(_ parameters: QuantizationParameters) throws -> QuantizedTensor {
        guard rank == 4 else { throw TensorError.shapeMismatch(op: "quantized", message: "input must be NCHW (rank 4), got \(describe(shape))") }
        let out = Memory(desc: QuantizedTensor.layout(shape))
        scaledReorder(storage.preferredMemory(dims: shape), into: out, scale: 1 / parameters.scale, destinationZeroPoint: parameters.zeroPoint)
        return QuantizedTensor(shape: shape, parameters: parameters, memory: out)
    }
}

/// dst = scale · src + destinationZeroPoint, rounded and saturated to dst's type: oneDNN's reorder with an output scale
/// and a zero point (how values enter the 8-bit codes).
func scaledReorder(_ src: Memory, into dst: Memory, scale: Float, destinationZeroPoint: Int32, device: Device = .current) {
    let key = PrimitiveKey("scaled reorder", numbers: [Int(scale.bitPattern), Int(destinationZeroPoint)], src.desc, dst.desc)
    let prim = try! device.cache.primitive(key) {
        var s = src.desc.raw, d = dst.desc.raw
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attr) }
        var (scale, zeroOut) = (scale, destinationZeroPoint)
        try dnnlCheck(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &scale), "primitive_attr_set_output_scales")
        if zeroOut != 0 { try dnnlCheck(dnnl_primitive_attr_set_zero_points(attr, Arg.dst, 1, 0, &zeroOut), "reorder destination zero point") }
        let (pd, small) = try Primitive.describe(for: device) {
            var pd: dnnl_primitive_desc_t?
            try withUserScratchpad(attr) { attr in
                try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &s, device.engine, &d, device.engine, attr),
                              "scaled reorder \(src.desc.dims) \(src.desc.formatName) → \(dst.desc.formatName)")
            }
            return pd!
        }
        return try Primitive(pd: pd, name: "quantize reorder", singleThreaded: small)
    }
    prim.execute([(Arg.from, src), (Arg.to, dst)], device: device)
}
