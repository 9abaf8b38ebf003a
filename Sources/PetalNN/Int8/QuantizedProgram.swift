// A fused program (FusedInference.swift) with its convolutions run in int8: a transform of the traced graph, so every
// model Petal traces quantizes without a line of its own. Each convolution takes 8-bit codes of its input and writes
// codes of its output when a reader takes codes (another int8 convolution, max pooling); every other op runs in fp32
// on values, dequantized once where it reads codes (as ONNX Runtime runs a QDQ model's unquantized ops).
import PetalTensor

struct QuantizedProgram: Sendable {
    enum Step: @unchecked Sendable {
        /// An int8 convolution with its residual sum and ReLU; codes of `output` when set, else fp32 values.
        case convolution(QuantizedConvolution, relu: Bool, output: QuantizationParameters?)
        /// Max pooling of codes.
        case maxPool(kernel: Size2D, stride: Size2D, padding: Size2D, ceilMode: Bool)
        /// An fp32 step of the fused program.
        case float(FusedProgram.Step)
    }

    struct Instruction: Sendable {
        let step: Step, inputs: [Int], output: Int, releases: [Int]
        /// The first graph node the step computes (a convolution's name).
        let node: String
    }

    let instructions: [Instruction]
    let output: Int, valueCount: Int
    /// The codes' parameters of each value that is ever held as codes.
    let parameters: [Int: QuantizationParameters]
    /// Each value's name in the traced graph.
    let valueNames: [String]

    /// - Parameters:
    ///   - program: the fused fp32 program.
    ///   - ranges: the calibrated range of each of its values (by value number).
    ///   - float: the convolutions (by instruction number) that stay fp32.
    init(_ program: FusedProgram, ranges: [Int: (low: Float, high: Float)], keepingInFloat float: Set<Int>) throws {
        var readers = [Int: [Int]]()
        for (i, instruction) in program.instructions.enumerated() { for input in instruction.inputs { readers[input, default: []].append(i) } }
        func isInt8Convolution(_ i: Int) -> Bool {
            if case .convolution = program.instructions[i].step { return !float.contains(i) }
            return false
        }
        func isMaxPool(_ i: Int) -> Bool {
            if case .operation(.maxPool) = program.instructions[i].step { return true }
            return false
        }
        var parameters: [Int: QuantizationParameters] = [:]
        func codes(_ value: Int) throws -> QuantizationParameters {
            if let known = parameters[value] { return known }
            let range = ranges[value] ?? (0, 0)
            let made = try QuantizationParameters(covering: range.low, range.high)
            parameters[value] = made
            return made
        }

        var heldAsCodes = Set<Int>()
        var steps: [Step] = []
        for (i, instruction) in program.instructions.enumerated() {
            let takesCodes = (readers[instruction.output] ?? []).contains { isInt8Convolution($0) || isMaxPool($0) }
                && instruction.output != program.output
            switch instruction.step {
            case .convolution(let w, let b, let stride, let padding, let dilation, let groups, _, let relu) where isInt8Convolution(i):
                let convolution = try QuantizedConvolution(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups)
                for input in instruction.inputs { _ = try codes(input) }
                steps.append(.convolution(convolution, relu: relu, output: takesCodes ? try codes(instruction.output) : nil))
                if takesCodes { heldAsCodes.insert(instruction.output) }
            case .operation(.maxPool(let kernel, let stride, let padding, let ceilMode)) where heldAsCodes.contains(instruction.inputs[0]):
                steps.append(.maxPool(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode))
                heldAsCodes.insert(instruction.output)
                parameters[instruction.output] = try codes(instruction.inputs[0])  // pooling keeps its input's codes
            default:
                steps.append(.float(instruction.step))
            }
        }
        instructions = zip(steps, program.instructions).map { Instruction(step: $0, inputs: $1.inputs, output: $1.output, releases: $1.releases, node: $1.node) }
        valueNames = program.valueNames
        (output, valueCount, self.parameters) = (program.output, program.valueCount, parameters)
    }

    /// The model's output for `x`, with gradients off.
    func run(_ x: Tensor) throws -> Tensor {
        var values = [Tensor?](repeating: nil, count: valueCount), codes = [QuantizedTensor?](repeating: nil, count: valueCount)
        values[0] = x
        func codesOf(_ v: Int) throws -> QuantizedTensor {
            if let held = codes[v] { return held }
            let made = try values[v]!.quantized(parameters[v]!)
            codes[v] = made
            return made
        }
        func valuesOf(_ v: Int) -> Tensor {
            if let held = values[v] { return held }
            let made = codes[v]!.dequantized()
            values[v] = made
            return made
        }
        for instruction in instructions {
            let (inputs, out) = (instruction.inputs, instruction.output)
            switch instruction.step {
            case .convolution(let convolution, let relu, let parameters?):
                codes[out] = try convolution(try codesOf(inputs[0]), adding: try inputs.dropFirst().first.map(codesOf), relu: relu, output: parameters)
            case .convolution(let convolution, let relu, nil):
                values[out] = try convolution.values(try codesOf(inputs[0]), adding: inputs.dropFirst().first.map(valuesOf), relu: relu)
            case .maxPool(let kernel, let stride, let padding, let ceilMode):
                codes[out] = try codesOf(inputs[0]).maxPool2d(kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
            case .float(let step):
                values[out] = try step.run(inputs.map(valuesOf))
            }
            for r in instruction.releases { (values[r], codes[r]) = (nil, nil) }
        }
        return valuesOf(output)
    }
}
