// The weight gradient of depthwise convolutions with kernels wider than 3 (MobileNetV3's and EfficientNet's 5×5,
// ConvNeXt's 7×7). oneDNN 2.6's JIT depthwise kernel for this gradient takes kernel widths up to 3 only (its
// `jcp.kw <= 3` check), so these fell to its generic gemm implementation: a quarter of a ConvNeXt-Tiny training step
// (docs/DESIGN-CHANGES.md). Here input and output gradient are read channels-last, so every tap's product is a run of
// C contiguous values, eight lanes at a time whatever the plane's size (the late stages' planes are 3×3 to 6×6).
import CDNNL

extension ConvolutionPlan {
    /// Whether this plan's weight gradient is computed here: an fp32 depthwise convolution (one input and one output
    /// channel per group, a multiple of 8 channels), undilated, with a kernel wider than 3.
    var hasOwnDepthwiseWeightGradient: Bool {
        computeType == dnnl_f32 && weightDims.count == 5 && weightDims[0] == inputDims[1] && weightDims[1] == 1 && weightDims[2] == 1
            && inputDims[1] % 8 == 0 && geometry.dilation == 1 && geometry.kernel.width > 3
    }
}

extension Tensor {
    /// The depthwise weight gradient [C, 1, kh, kw] (and the bias gradient [C] when the plan has a bias) from the
    /// input `x` [N, C, H, W] and the output gradient `g` [N, C, oh, ow].
    static func depthwiseWeightGradient(_ g: Tensor, input x: Tensor, plan: ConvolutionPlan) -> (Tensor, Tensor?) {
        let (n, c, h, w) = (plan.inputDims[0], plan.inputDims[1], plan.inputDims[2], plan.inputDims[3])
        let (oh, ow) = (plan.outputDims[2], plan.outputDims[3])
        let k = plan.geometry
        let (kh, kw, sh, sw, ph, pw) = (k.kernel.height, k.kernel.width, k.stride.height, k.stride.width, k.padding.height, k.padding.width)
        let input = x.storage.memory(MemoryDesc(dims: plan.inputDims, tag: dnnl_nhwc))
        let gradient = g.storage.memory(MemoryDesc(dims: plan.outputDims, tag: dnnl_nhwc))
        let (px, pg) = (input.floats, gradient.floats)
        let lanes = c / 8
        // Taps [kh, kw, C] as the loops fill them; the bias gradient [C].
        var taps = [SIMD8<Float>](repeating: SIMD8(), count: kh * kw * lanes), bias = [SIMD8<Float>](repeating: SIMD8(), count: lanes)
        taps.withUnsafeMutableBufferPointer { acc in
            let (xv, gv) = (UnsafeRawPointer(px), UnsafeRawPointer(pg))
            for b in 0..<n {
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let gRow = gv + ((b * oh + oy) * ow + ox) * c * 4
                        if plan.hasBias {
                            for l in 0..<lanes { bias[l] += gRow.loadUnaligned(fromByteOffset: l * 32, as: SIMD8<Float>.self) }
                        }
                        for i in 0..<kh {
                            let iy = oy * sh - ph + i
                            guard iy >= 0 && iy < h else { continue }
                            for j in 0..<kw {
                                let ix = ox * sw - pw + j
                                guard ix >= 0 && ix < w else { continue }
                                let xRow = xv + ((b * h + iy) * w + ix) * c * 4, tap = (i * kw + j) * lanes
                                for l in 0..<lanes {
                                    acc[tap + l] += gRow.loadUnaligned(fromByteOffset: l * 32, as: SIMD8<Float>.self)
                                        * xRow.loadUnaligned(fromByteOffset: l * 32, as: SIMD8<Float>.self)
                                }
                            }
                        }
                    }
                }
            }
        }
        let weights = Tensor.make([c, 1, kh, kw]) { o in
            for tap in 0..<(kh * kw) { for ch in 0..<c { o[ch * kh * kw + tap] = taps[tap * lanes + ch / 8][ch % 8] } }
        }
        return (weights, plan.hasBias ? Tensor.make([c]) { o in for ch in 0..<c { o[ch] = bias[ch / 8][ch % 8] } } : nil)
    }
}
