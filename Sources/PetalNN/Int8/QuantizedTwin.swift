// A test oracle kept beside the code it checks, as PetalTensor's `Naive`: the quantized program computed in Double from
// the same codes and parameters. Tests of PetalNN and of the ONNX export (against ONNX Runtime) use it.
import PetalTensor

extension QuantizedProgram {
    /// Which weight codes the twin multiplies: those the kernels run on this CPU, or the stored 8-bit ones (what an
    /// export writes).
    enum TwinWeights { case runtime, stored }

    /// The quantized program computed in Double: int8 convolutions from the `weights` codes (rounding each output to its
    /// codes when the program keeps codes), max pooling on values, and the fp32 steps run as the fused program runs them.
    func twin(_ x: Tensor, weights: TwinWeights) throws -> [Double] {
        let program = self
        var values = [[Double]?](repeating: nil, count: program.valueCount), shapes = [[Int]](repeating: [], count: program.valueCount)
        values[0] = x.scalars.map(Double.init)
        shapes[0] = x.shape
        /// A value as the codes of its parameters hold it.
        func coded(_ v: Int) -> [Double] {
            let p = program.parameters[v]!
            return values[v]!.map { Double(p.value(p.code(Float($0)))) }
        }
        for instruction in program.instructions {
            let (inputs, out) = (instruction.inputs, instruction.output)
            switch instruction.step {
            case .convolution(let conv, let relu, let output):
                let p = program.parameters[inputs[0]]!
                let x = values[inputs[0]]!.map { Double(Int32(p.code(Float($0))) - p.zeroPoint) }
                let (codes, scales) = weights == .runtime ? conv.runtimeWeights : (conv.weightCodes, conv.weightScales)
                let sums = Self.convolution(x, shapes[inputs[0]], codes.map(Double.init), conv)
                let residual = inputs.count > 1 ? (output != nil ? coded(inputs[1]) : values[inputs[1]]!) : nil
                let plane = sums.shape[2] * sums.shape[3]
                var y = sums.values.enumerated().map { i, acc in
                    let o = i / plane % sums.shape[1]
                    let v = Double(p.scale) * Double(scales[o]) * acc + Double(conv.bias[o]) + (residual?[i] ?? 0)
                    return relu ? max(v, 0) : v
                }
                if let output { y = y.map { Double(output.value(output.code(Float($0)))) } }
                (values[out], shapes[out]) = (y, sums.shape)
            case .maxPool(let kernel, let stride, let padding, let ceilMode):
                let t = try Tensor(shape: shapes[inputs[0]], scalars: coded(inputs[0]).map(Float.init))
                let pooled = try t.maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
                (values[out], shapes[out]) = (pooled.scalars.map(Double.init), pooled.shape)
            case .float(let step):
                let tensors = try inputs.map { try Tensor(shape: shapes[$0], scalars: values[$0]!.map(Float.init)) }
                let result = try withoutGradients { try step.run(tensors) }
                (values[out], shapes[out]) = (result.scalars.map(Double.init), result.shape)
            }
        }
        return values[program.output]!
    }

    /// Σ x·w over each output's window, straight from the definition (PyTorch's cross-correlation with groups).
    static func convolution(_ x: [Double], _ xs: [Int], _ w: [Double], _ c: QuantizedConvolution) -> (values: [Double], shape: [Int]) {
        let (n, channels, h, wd) = (xs[0], xs[1], xs[2], xs[3])
        let (o, perGroup, kh, kw) = (c.weightShape[0], c.weightShape[1], c.weightShape[2], c.weightShape[3])
        let oh = (h + 2 * c.padding.height - c.dilation.height * (kh - 1) - 1) / c.stride.height + 1
        let ow = (wd + 2 * c.padding.width - c.dilation.width * (kw - 1) - 1) / c.stride.width + 1
        var y = [Double](repeating: 0, count: n * o * oh * ow)
        for b in 0..<n { for k in 0..<o {
            let first = k / (o / c.groups) * perGroup
            for i in 0..<oh { for j in 0..<ow {
                var sum = 0.0
                for ci in 0..<perGroup { for u in 0..<kh { for v in 0..<kw {
                    let (r, col) = (i * c.stride.height - c.padding.height + u * c.dilation.height, j * c.stride.width - c.padding.width + v * c.dilation.width)
                    guard (0..<h).contains(r), (0..<wd).contains(col) else { continue }
                    sum += x[((b * channels + first + ci) * h + r) * wd + col] * w[((k * perGroup + ci) * kh + u) * kw + v]
                } } }
                y[((b * o + k) * oh + i) * ow + j] = sum
            } }
        } }
        return (y, [n, o, oh, ow])
    }
}
