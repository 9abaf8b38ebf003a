// Post-training static quantization: a model's fused program is calibrated on images (each activation's range
// observed) and its convolutions become int8 ones (QuantizedProgram.swift). The model's own `forward` stays its one
// description: nothing here knows a block or a family.
import Foundation
import PetalTensor

/// A model's inference with int8 convolutions, made by ``Module/quantized(calibration:method:keepingFirstConvolution:)``.
///
/// Weights are 8-bit per output channel (symmetric), activations 8-bit per tensor (asymmetric, from calibration), batch
/// norms folded, residual sums and ReLUs fused into the convolutions; the other ops run in fp32. It takes inputs of the
/// shape it was calibrated on, in any batch size. Calls may come from several threads at once.
public final class QuantizedModel: Module {
    /// The fp32 model.
    public let source: Module
    /// How it was quantized: the calibration and each activation's range (what its file records).
    public var record: QuantizationRecord
    /// [channels, height, width] of the inputs.
    public var inputShape: [Int] { record.inputShape }
    let program: QuantizedProgram

    init(source: Module, record: QuantizationRecord, program: QuantizedProgram) {
        (self.source, self.record, self.program) = (source, record, program)
        super.init()
        setTraining(false)
    }

    /// Writes the fp32 weights (torchvision's names, as a checkpoint) with `metadata` under "petal" and ``record`` under
    /// ``QuantizationRecord/metadataKey``, atomically.
    /// - Throws: ``ModelError/checkpoint(path:reason:)`` naming the file.
    public func saveQuantized(to url: URL, metadata: CheckpointMetadata?) throws {
        var file = try SafeTensors.checkpoint(source.stateDict, metadata: metadata)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys  // the same record gives the same bytes
        file.metadata[QuantizationRecord.metadataKey] = String(decoding: try encoder.encode(record), as: UTF8.self)
        try file.save(to: url)
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
    public func quantized(calibration: [Tensor], method: CalibrationMethod = .minMax, keepingFirstConvolution: Bool = false) throws -> QuantizedModel {
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
        var ranges: [String: [Float]] = [:]
        for (v, s) in statistics.enumerated() {
            let r = s.range(method)
            ranges[program.valueNames[v]] = [r.low, r.high]
        }
        return try quantized(QuantizationRecord(method: method, calibrationImages: calibration.reduce(0) { $0 + $1.shape[0] },
                                                keepsFirstConvolution: keepingFirstConvolution, inputShape: inputShape, activationRanges: ranges),
                             program: program)
    }

    /// This model quantized with the ranges `record` holds (a quantized file's), without calibrating.
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` for a bad record or one that names no range for an activation
    ///   the model's program quantizes; ``ModelError/untraceable(_:)``.
    public func quantized(_ record: QuantizationRecord) throws -> QuantizedModel {
        try record.validate()
        return try quantized(record, program: try inferring { FusedProgram(try inferenceGraph(inputShape: record.inputShape)) })
    }

    /// `record`'s quantization of `program`, this model's fused program for the record's input shape.
    private func quantized(_ record: QuantizationRecord, program: FusedProgram) throws -> QuantizedModel {
        var ranges: [Int: (low: Float, high: Float)] = [:]
        for (v, name) in program.valueNames.enumerated() {
            if let r = record.activationRanges[name] { ranges[v] = (r[0], r[1]) }
        }
        let convolutions = program.instructions.indices.filter { if case .convolution = program.instructions[$0].step { true } else { false } }
        let float: Set<Int> = record.keepsFirstConvolution ? Set(convolutions.prefix(1)) : []
        let quantized = try QuantizedProgram(program, ranges: ranges, keepingInFloat: float)
        if let missing = quantized.parameters.keys.first(where: { ranges[$0] == nil }) {
            throw ModelError.invalidConfiguration("int8 metadata has no range for '\(program.valueNames[missing])': it was made for another model")
        }
        return QuantizedModel(source: self, record: record, program: quantized)
    }
}

/// Where an int8 model works on codes, by the traced graph's names: what an export writes as QuantizeLinear /
/// DequantizeLinear pairs so that another runtime computes what the model computes.
public struct QuantizationPlan: Sendable {
    /// Each int8 convolution by its node's name (`layer1.0.conv1`).
    public let convolutions: [String: QuantizedConvolution]
    /// The int8 convolutions whose output (after their fused sum and ReLU) is written as codes.
    public let convolutionsWritingCodes: Set<String>
    /// The values written as codes (an int8 convolution's fused output, max pooling of codes): every reader reads codes.
    public let valuesWrittenAsCodes: Set<String>
    /// The codes' parameters of every value read or written as codes.
    public let parameters: [String: QuantizationParameters]
}

extension QuantizedModel {
    /// Where this model works on codes (see ``QuantizationPlan``).
    public var plan: QuantizationPlan {
        var convolutions: [String: QuantizedConvolution] = [:], writing = Set<String>(), written = Set<String>()
        var parameters: [String: QuantizationParameters] = [:]
        let names = program.valueNames
        for instruction in program.instructions {
            let (inputs, out) = (instruction.inputs, instruction.output)
            switch instruction.step {
            case .convolution(let convolution, _, let output):
                convolutions[instruction.node] = convolution
                parameters[names[inputs[0]]] = program.parameters[inputs[0]]
                if let output {
                    writing.insert(instruction.node)
                    written.insert(names[out])
                    parameters[names[out]] = output
                    if inputs.count > 1 { parameters[names[inputs[1]]] = program.parameters[inputs[1]] }
                }
            case .maxPool:
                written.insert(names[out])
                parameters[names[out]] = program.parameters[inputs[0]]
            case .float: break
            }
        }
        return QuantizationPlan(convolutions: convolutions, convolutionsWritingCodes: writing, valuesWrittenAsCodes: written, parameters: parameters)
    }
}
