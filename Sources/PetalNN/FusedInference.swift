// Fused inference, derived from a model's traced graph (InferenceTracing.swift) instead of written into its blocks:
// batch norms are folded into the convolutions before them, and a convolution's residual sum and ReLU run as oneDNN
// post-ops, so a ResNet block's "conv → BN → (+ shortcut) → ReLU" writes its activation once instead of four times.
// The graph is traced again whenever a weight, a running statistic or a convolution's settings change.
import Foundation
import PetalTensor

/// A model's inference, run fused from its traced graph; what ``Module/fusedForInference()`` returns.
///
/// It computes what the model computes in eval mode without gradients, for any model whose `forward` uses traceable
/// ops (convolution, batch norm, ReLU, a sum of equal shapes, pooling, flatten, linear, softmax). A model that does
/// other work runs unfused, as its own eval-mode forward: ``isFused(inputShape:)`` tells. Calls may come from several
/// threads at once.
public final class FusedInference: Module {
    /// The model whose inference this runs; its mode is left as it was.
    public let source: Module
    private let lock = NSLock()
    private let state: [Tensor]
    private let convolutions: [Conv2D]
    private var signature: Signature?
    private var programs: [[Int]: FusedProgram?] = [:]
    private var generationCount = 0

    /// What a traced program depends on besides the input: when any of it changes, the graph is traced again.
    private struct Signature: Equatable {
        var revisions: [Tensor.Revision]
        var settings: [ConvolutionSettings]
    }

    init(_ source: Module) {
        self.source = source
        state = source.stateDict.map(\.tensor)
        convolutions = source.namedModules.compactMap { $0.module as? Conv2D }
        super.init()
        setTraining(false)
    }

    /// The source model's eval-mode output for `x`, fused where its graph could be traced.
    /// - Throws: what the source model throws for an input it cannot take.
    public override func forward(_ x: Tensor) throws -> Tensor {
        guard let program = try program(forInputShape: Array(x.shape.dropFirst())) else { return try source.inferring { try source(x) } }
        return try withoutGradients { try program.run(x) }
    }

    /// Whether inputs of `inputShape` ([channels, height, width]) run fused, rather than through the source's forward.
    /// - Throws: what the source model throws for an input of that shape.
    public func isFused(inputShape: [Int]) throws -> Bool { try program(forInputShape: inputShape) != nil }

    /// How many times the weights or settings were seen to change since this was made: recordings of a call (see
    /// ``InferenceSession``) made at another generation are stale.
    func generation() -> Int {
        lock.withLock {
            refreshSignature()
            return generationCount
        }
    }

    /// "Fused(…)" around the source's description.
    public override var layerDescription: String { "Fused(\(source.layerDescription))" }

    private func program(forInputShape shape: [Int]) throws -> FusedProgram? {
        try lock.withLock {
            refreshSignature()
            if let known = programs[shape] { return known }
            var program: FusedProgram?
            do { program = FusedProgram(try source.inferenceGraph(inputShape: shape)) } catch ModelError.untraceable { program = nil }
            programs[shape] = program
            return program
        }
    }

    private func refreshSignature() {
        let now = Signature(revisions: state.map(\.revision), settings: convolutions.map(\.settings))
        guard now != signature else { return }
        (signature, programs) = (now, [:])
        generationCount += 1
    }
}

extension Module {
    /// This model's inference with batch norms folded and sums and ReLUs fused into convolutions (see
    /// ``FusedInference``). Make it once and keep it: it traces the model on the first call of each input shape,
    /// and again only after the weights change.
    public func fusedForInference() -> FusedInference { self as? FusedInference ?? FusedInference(self) }
}

/// A traced graph as a list of steps on numbered values, with fusions applied and each value dropped after its
/// last use.
struct FusedProgram: Sendable {
    enum Step: @unchecked Sendable {
        /// A convolution (batch norm folded in), then the `residual` input added and ReLU applied, as one primitive.
        case convolution(weight: Tensor, bias: Tensor?, stride: Size2D, padding: Size2D, dilation: Size2D, groups: Int,
                         settings: ConvolutionSettings, relu: Bool)
        /// Batch norm with running statistics, with its ReLU in the same primitive.
        case batchNorm(scale: Tensor, shift: Tensor, mean: Tensor, variance: Tensor, epsilon: Float, relu: Bool)
        case operation(GraphOperation)
    }

    struct Instruction: Sendable {
        let step: Step, inputs: [Int], output: Int, releases: [Int]
        /// The first graph node the step computes (a fused convolution's own name, e.g. `layer1.0.conv2`).
        let node: String
    }

    let instructions: [Instruction]
    let output: Int, valueCount: Int
    /// Each value's name in the traced graph (the input's is `input`; a fused step's is its last node's).
    let valueNames: [String]

    init(_ graph: InferenceGraph) {
        let nodes = graph.nodes
        let uses = graph.useCounts
        var reader: [String: Int] = [:]
        for (i, node) in nodes.enumerated() { for input in node.inputs { reader[input] = i } }
        /// The node that alone reads `value`, when it is a ReLU not yet absorbed.
        func onlyReLU(reading value: String, _ absorbed: Set<Int>) -> Int? {
            guard uses[value] == 1, let k = reader[value], !absorbed.contains(k), case .relu = nodes[k].operation else { return nil }
            return k
        }

        // Each step goes where the last node it absorbs was: every value it reads is computed by then.
        var planned: [Int: (step: Step, inputs: [String], output: String, node: String)] = [:], absorbed = Set<Int>()
        for (i, node) in nodes.enumerated() where !absorbed.contains(i) {
            switch node.operation {
            case .convolution(let w, let b, let stride, let padding, let dilation, let groups, let settings):
                var (inputs, last) = (node.inputs, i)
                if uses[node.name] == 1, let j = reader[node.name], !absorbed.contains(j), case .add = nodes[j].operation,
                   let other = nodes[j].inputs.first(where: { $0 != node.name }) {
                    (inputs, last) = (inputs + [other], j)
                    absorbed.insert(j)
                }
                let relu = onlyReLU(reading: nodes[last].name, absorbed)
                if let relu {
                    last = relu
                    absorbed.insert(relu)
                }
                planned[last] = (.convolution(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
                                              settings: settings, relu: relu != nil), inputs, nodes[last].name, node.name)
            case .batchNorm(let scale, let shift, let mean, let variance, let epsilon):
                let relu = onlyReLU(reading: node.name, absorbed)
                if let relu { absorbed.insert(relu) }
                planned[relu ?? i] = (.batchNorm(scale: scale, shift: shift, mean: mean, variance: variance, epsilon: epsilon, relu: relu != nil),
                                      node.inputs, nodes[relu ?? i].name, node.name)
            default:
                planned[i] = (.operation(node.operation), node.inputs, node.name, node.name)
            }
        }

        var slots = [InferenceGraph.inputName: 0]
        func slot(_ name: String) -> Int {
            if let s = slots[name] { return s }
            slots[name] = slots.count
            return slots.count - 1
        }
        let ordered = planned.keys.sorted().map { planned[$0]! }
        var lastRead: [String: Int] = [:]
        for (i, p) in ordered.enumerated() { for input in p.inputs { lastRead[input] = i } }
        instructions = ordered.enumerated().map { i, p in
            let releases = Set(p.inputs).filter { lastRead[$0] == i && $0 != graph.output }.map(slot)
            return Instruction(step: p.step, inputs: p.inputs.map(slot), output: slot(p.output), releases: releases, node: p.node)
        }
        output = slot(graph.output)
        valueCount = slots.count
        var names = [String](repeating: "", count: slots.count)
        for (name, s) in slots { names[s] = name }
        valueNames = names
    }

    /// The graph's output for `x` (gradients off); `observe` sees the input (value 0) and each value computed.
    func run(_ x: Tensor, observing observe: ((Int, Tensor) -> Void)? = nil) throws -> Tensor {
        var values = [Tensor?](repeating: nil, count: valueCount)
        values[0] = x
        observe?(0, x)
        for instruction in instructions {
            let inputs = instruction.inputs.map { values[$0]! }
            values[instruction.output] = try instruction.step.run(inputs)
            observe?(instruction.output, values[instruction.output]!)
            for r in instruction.releases { values[r] = nil }
        }
        return values[output]!
    }
}

extension FusedProgram.Step {
    func run(_ x: [Tensor]) throws -> Tensor {
        switch self {
        case .convolution(let w, let b, let stride, let padding, let dilation, let groups, let s, let relu):
            return try x[0].conv2dInference(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
                                            precision: s.precision, algorithm: s.algorithm, singleImageChannelsLast: s.singleImageChannelsLast,
                                            adding: x.count > 1 ? x[1] : nil, relu: relu)
        case .batchNorm(let scale, let shift, let mean, let variance, let epsilon, let relu):
            return try x[0].batchNorm2d(scale: scale, shift: shift, runningMean: mean, runningVariance: variance, training: false,
                                        epsilon: epsilon, fusedReLU: relu)
        case .operation(let operation):
            switch operation {
            case .convolution(let w, let b, let stride, let padding, let dilation, let groups, let s):
                return try FusedProgram.Step.convolution(weight: w, bias: b, stride: stride, padding: padding, dilation: dilation, groups: groups,
                                                         settings: s, relu: false).run(x)
            case .batchNorm(let scale, let shift, let mean, let variance, let epsilon):
                return try FusedProgram.Step.batchNorm(scale: scale, shift: shift, mean: mean, variance: variance, epsilon: epsilon, relu: false).run(x)
            case .layerNorm(let scale, let shift, let epsilon): return try x[0].layerNorm(scale: scale, shift: shift, epsilon: epsilon)
            case .channelScale(let factors): return try x[0].scaledChannels(by: factors)
            case .relu: return try x[0].relu()
            case .activation(let a): return try x[0].activated(a)
            case .multiply: return try x[0] * x[1]
            case .add: return try x[0] + x[1]
            case .pad(let top, let left, let bottom, let right, let value):
                return try x[0].padded(top: top, left: left, bottom: bottom, right: right, value: value)
            case .maxPool(let k, let s, let p, let ceil): return try x[0].maxPool2d(kernel: k, stride: s, padding: p, ceilMode: ceil)
            case .averagePool(let k, let s, let p, let ceil, let include):
                return try x[0].avgPool2d(kernel: k, stride: s, padding: p, ceilMode: ceil, countIncludePad: include)
            case .globalAveragePool: return try x[0].globalAvgPool2d()
            case .flatten: return try x[0].flattened()
            case .dense(let w, let b): return try x[0].linear(weight: w, bias: b)
            case .softmax: return try x[0].softmax()
            case .patchTokens(let classToken, let positions): return try x[0].patchTokens(classToken: classToken, positions: positions)
            case .selfAttention(let inWeight, let inBias, let outWeight, let outBias, let heads):
                return try x[0].selfAttention(inWeight: inWeight, inBias: inBias, outWeight: outWeight, outBias: outBias, heads: heads)
            case .firstToken: return try x[0].firstToken()
            }
        }
    }
}
