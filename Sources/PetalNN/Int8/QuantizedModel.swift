// Post-training static quantization: a model's fused program is calibrated on images (each activation's range
// observed) and its convolutions become int8 ones (QuantizedProgram.swift). The model's own `forward` stays its one
// description: nothing here knows a block or a family.
import PetalTensor

/// A model's inference with int8 convolutions, made by ``Module/quantized(calibration:method:keepingFirstConvolution:)``.
///
/// Weights are 8-bit per output channel (symmetric), activations 8-bit per tensor (asymmetric, from calibration), batch
/// norms folded, residual sums and ReLUs fused into the convolutions; the other ops run in fp32. It takes inputs of the
/// shape it was calibrated on, in any batch size. Calls may come from several threads at once.
public final class QuantizedModel: Module {
    /// The fp32 model.
    public let source: Module
    /// [channels, height, width] of the inputs.
    public let inputShape: [Int]
    /// How each activation's range was chosen.
    public let method: CalibrationMethod
    /// How many calibration images were seen.
    public let calibrationImageCount: Int
    /// Whether the first convolution (the stem, which reads the image) stayed fp32.
    public let keepsFirstConvolution: Bool
    /// The range each activation's codes cover, by the traced graph's value names (`input`, `layer1.0.relu`, …).
    public let activationRanges: [String: ClosedRange<Float>]
    let program: QuantizedProgram

    init(source: Module, inputShape: [Int], method: CalibrationMethod, imageCount: Int, keepsFirstConvolution: Bool,
         ranges: [String: ClosedRange<Float>], program: QuantizedProgram) {
        (self.source, self.inputShape, self.method, calibrationImageCount) = (source, inputShape, method, imageCount)
        (self.keepsFirstConvolution, activationRanges, self.program) = (keepsFirstConvolution, ranges, program)
        super.init()
        setTraining(false)
    }

    /// The source model's eval-mode output for `x`, computed with int8 convolutions.
    /// - Throws: `ModelError.invalidConfiguration` for an input of another shape than the calibrated one.
    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, Array(x.shape.dropFirst()) == inputShape else {
            throw ModelError.invalidConfiguration("this int8 model takes [N, \(inputShape.map(String.init).joined(separator: ", "))] inputs, got \(x.shape)")
        }
        return try withoutGradients { try program.run(x) }
    }

    /// "Int8(…)" around the source's description.
    public override var layerDescription: String { "Int8(\(source.layerDescription))" }
}

extension Module {
    /// This model quantized after training: int8 convolutions whose activation ranges come from `calibration`.
    ///
    /// - Parameters:
    ///   - calibration: batches of preprocessed images [N, C, H, W], all of one image shape (a few hundred images of
    ///     the training distribution).
    ///   - method: how each activation's range is chosen from the values seen.
    ///   - keepingFirstConvolution: leave the convolution that reads the image in fp32.
    /// - Throws: `ModelError.invalidConfiguration` for no batches or batches of several shapes, ``ModelError/untraceable(_:)``
    ///   for a model whose forward cannot be traced, and what the model throws for its input.
    public func quantized(calibration: [Tensor], method: CalibrationMethod = .percentile, keepingFirstConvolution: Bool = false) throws -> QuantizedModel {
        guard let first = calibration.first, first.rank == 4 else {
            throw ModelError.invalidConfiguration("quantization needs at least one calibration batch of NCHW images")
        }
        let inputShape = Array(first.shape.dropFirst())
        guard calibration.allSatisfy({ $0.rank == 4 && Array($0.shape.dropFirst()) == inputShape }) else {
            throw ModelError.invalidConfiguration("calibration batches must all hold images of shape \(inputShape)")
        }
        let program = try inferring { FusedProgram(try inferenceGraph(inputShape: inputShape)) }
        var statistics = [ActivationStatistics](repeating: ActivationStatistics(), count: program.valueCount)
        try withoutGradients {
            for batch in calibration { _ = try program.run(batch) { v, t in t.withUnsafeBufferPointer { statistics[v].observeExtremes($0) } } }
            if method != .minMax {
                for batch in calibration { _ = try program.run(batch) { v, t in t.withUnsafeBufferPointer { statistics[v].observeHistogram($0) } } }
            }
        }
        var ranges: [Int: (low: Float, high: Float)] = [:]
        for (v, s) in statistics.enumerated() { ranges[v] = s.range(method) }
        let firstConvolution = program.instructions.firstIndex { if case .convolution = $0.step { true } else { false } }
        let float: Set<Int> = keepingFirstConvolution ? Set([firstConvolution].compactMap { $0 }) : []
        let quantized = try QuantizedProgram(program, ranges: ranges, keepingInFloat: float)
        var named: [String: ClosedRange<Float>] = [:]
        for (v, r) in ranges { named[program.valueNames[v]] = r.low...r.high }
        return QuantizedModel(source: self, inputShape: inputShape, method: method, imageCount: calibration.reduce(0) { $0 + $1.shape[0] },
                              keepsFirstConvolution: keepingFirstConvolution, ranges: named, program: quantized)
    }
}
