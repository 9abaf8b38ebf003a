// ONNX export: a model's inference graph (traced from its forward pass, `Module.inferenceGraph`) written as an ONNX ModelProto with swift-protobuf
// (code generated from ONNX's own onnx.proto, Scripts/protos/generate.sh), opset 17 by default, so that ONNX Runtime
// and every other ONNX consumer run what Petal runs. The preprocessing contract (input name and layout, crop,
// normalisation, classes) goes into the model's metadata.
import Foundation
import PetalNN
import SwiftProtobuf

/// Settings of an ONNX export.
public struct ONNXExportOptions: Sendable, Equatable {
    /// What the graph returns.
    public enum Output: String, Sendable, CaseIterable {
        /// Raw class scores (`logits`).
        case logits
        /// Softmax probabilities (`probabilities`).
        case probabilities
    }
    /// Logits (default) or probabilities.
    public var output: Output = .logits
    /// Fold each batch norm into the convolution before it (what Petal runs in inference; default), or keep
    /// BatchNormalization nodes with the running statistics.
    public var foldBatchNorm = true
    /// A batch dimension of any size (`batch`, default), or this fixed size.
    public var fixedBatchSize: Int?
    /// The ONNX operator set: 17 (default) to 21; every operator used has had the same definition throughout.
    public var opset = 17

    public init(output: Output = .logits, foldBatchNorm: Bool = true, fixedBatchSize: Int? = nil, opset: Int = 17) {
        (self.output, self.foldBatchNorm, self.fixedBatchSize, self.opset) = (output, foldBatchNorm, fixedBatchSize, opset)
    }
}

/// Errors of the ONNX exporter.
public enum ONNXError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case invalidOption(String)
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalidOption(let m), .unsupported(let m): m
        }
    }
    public var errorDescription: String? { description }
}

/// Writes models as ONNX.
public enum ONNXExport {
    /// The name of the graph's input.
    public static let inputName = InferenceGraph.inputName

    /// The ONNX file of `model` for input images of `inputShape` ([channels, height, width]).
    /// - Parameters:
    ///   - classes: number of outputs (the last dimension of the output).
    ///   - metadata: key–value pairs stored in the model (`metadata_props`), in key order.
    ///   - docString: the model's description.
    ///   - quantization: where an int8 model works on codes (``PetalNN/QuantizedModel/plan``; `model` is then its fp32
    ///     source): written as QuantizeLinear/DequantizeLinear pairs, weights as int8 with a scale per output channel.
    /// - Throws: ``ONNXError`` for bad options; `ModelError` for a module that cannot be exported.
    public static func encode(_ model: Module, inputShape: [Int], classes: Int, options: ONNXExportOptions = ONNXExportOptions(),
                              quantization: QuantizationPlan? = nil, metadata: [String: String] = [:], docString: String = "") throws -> Data {
        if quantization != nil && !options.foldBatchNorm {
            throw ONNXError.invalidOption("an int8 model's batch norms are folded into its int8 convolutions; they cannot be kept")
        }
        guard (17...21).contains(options.opset) else { throw ONNXError.invalidOption("opset must be 17 to 21, got \(options.opset)") }
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ONNXError.invalidOption("input shape must be [channels, height, width], got \(inputShape)")
        }
        if let b = options.fixedBatchSize, b < 1 { throw ONNXError.invalidOption("batch size must be positive, got \(b)") }
        let graph = try model.inferenceGraph(inputShape: inputShape, foldingBatchNorm: options.foldBatchNorm)

        var g = Onnx_GraphProto()
        g.name = "petal"
        var writer = NodeWriter(plan: quantization)
        for node in graph.nodes { writer.write(node) }
        var output = graph.output
        if options.output == .probabilities { output = writer.node("Softmax", [output], name: "probabilities", [.int("axis", 1)]) }
        let outputName = options.output.rawValue
        writer.rename(output, to: outputName)
        (g.node, g.initializer) = (writer.nodes, writer.initializers)
        let batch: Dimension = options.fixedBatchSize.map { .value($0) } ?? .parameter("batch")
        g.input = [valueInfo(inputName, [batch] + inputShape.map { .value($0) })]
        g.output = [valueInfo(outputName, [batch, .value(classes)])]

        var m = Onnx_ModelProto()
        m.irVersion = 8  // the IR version of opsets 17–18; later opsets still accept it
        m.producerName = "Petal"
        m.producerVersion = PetalVersion.current
        m.docString = docString
        var opset = Onnx_OperatorSetIdProto()
        (opset.domain, opset.version) = ("", Int64(options.opset))
        m.opsetImport = [opset]
        m.graph = g
        m.metadataProps = metadata.keys.sorted().map { key in
            var e = Onnx_StringStringEntryProto()
            (e.key, e.value) = (key, metadata[key]!)
            return e
        }
        return try m.serializedBytes()
    }

    enum Dimension { case value(Int), parameter(String) }

    static func valueInfo(_ name: String, _ dims: [Dimension]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .value(let n): dim.dimValue = Int64(n)
            case .parameter(let p): dim.dimParam = p
            }
            return dim
        }
        v.type.tensorType = t
        return v
    }
}

/// An ONNX node attribute.
enum Attribute {
    case int(String, Int)
    case ints(String, [Int])
    case float(String, Float)

    var proto: Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        switch self {
        case .int(let name, let v): (a.name, a.type, a.i) = (name, .int, Int64(v))
        case .ints(let name, let v): (a.name, a.type, a.ints) = (name, .ints, v.map(Int64.init))
        case .float(let name, let v): (a.name, a.type, a.f) = (name, .float, v)
        }
        return a
    }
}

/// Turns graph nodes into ONNX nodes and initializers, naming values after the nodes (module paths).
struct NodeWriter {
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Onnx_TensorProto] = []
    /// An int8 model's codes, or nil for an fp32 export.
    let plan: QuantizationPlan?
    /// The DequantizeLinear(QuantizeLinear(v)) value of each value `v` read as codes.
    private var codes: [String: String] = [:]

    init(plan: QuantizationPlan? = nil) { self.plan = plan }

    mutating func write(_ traced: GraphNode) {
        let n = plan.map { rerouted(traced, $0) } ?? traced
        switch n.operation {
        case .convolution(let w, let b, let stride, let padding, let dilation, let groups, _):
            let (weight, bias) = plan?.convolutions[n.name].map { int8Weight(n.name, $0) }
                ?? (constant(n.name + ".weight", w), b.map { constant(n.name + ".bias", $0) })
            let inputs = n.inputs + [weight] + (bias.map { [$0] } ?? [])
            node("Conv", inputs, name: n.name, [.ints("kernel_shape", Array(w.shape[2...])), .ints("strides", [stride.height, stride.width]),
                                                .ints("pads", [padding.height, padding.width, padding.height, padding.width]),
                                                .ints("dilations", [dilation.height, dilation.width]), .int("group", groups)])
        case .batchNorm(let scale, let shift, let mean, let variance, let epsilon):
            node("BatchNormalization", n.inputs + [constant(n.name + ".weight", scale), constant(n.name + ".bias", shift),
                                                   constant(n.name + ".running_mean", mean), constant(n.name + ".running_var", variance)],
                 name: n.name, [.float("epsilon", epsilon)])
        case .layerNorm(let scale, let shift, let epsilon):
            // LayerNormalization normalises the trailing axes, so NCHW data is normalised channels-last.
            let (weight, bias) = (constant(n.name + ".weight", scale), constant(n.name + ".bias", shift))
            guard n.shape.count == 4 else {
                node("LayerNormalization", n.inputs + [weight, bias], name: n.name, [.int("axis", -1), .float("epsilon", epsilon)])
                break
            }
            let last = node("Transpose", n.inputs, name: n.name + ".channels_last", [.ints("perm", [0, 2, 3, 1])])
            let normed = node("LayerNormalization", [last, weight, bias], name: n.name + ".normalized", [.int("axis", -1), .float("epsilon", epsilon)])
            node("Transpose", [normed], name: n.name, [.ints("perm", [0, 3, 1, 2])])
        case .channelScale(let factors):
            let dims = n.shape.count == 4 ? [factors.count, 1, 1] : [factors.count]  // broadcast over height and width
            node("Mul", n.inputs + [constant(n.name + ".factors", factors, dims: dims)], name: n.name)
        case .relu:
            node("Relu", n.inputs, name: n.name)
        case .activation(let a):
            activation(a, n.inputs[0], name: n.name)
        case .add:
            node("Add", n.inputs, name: n.name)
        case .multiply:
            node("Mul", n.inputs, name: n.name)
        case .softmax:
            node("Softmax", n.inputs, name: n.name, [.int("axis", -1)])
        case .pad(let top, let left, let bottom, let right, let value):
            // Opset 11 on takes the pads (all begins, then all ends, per axis) and the value as inputs.
            let pads = integers(n.name + ".pads", [0, 0, top, left, 0, 0, bottom, right])
            node("Pad", n.inputs + [pads, constant(n.name + ".value", Tensor(value))], name: n.name)  // mode "constant" is the default
        case .maxPool(let k, let s, let p, let ceil):
            node("MaxPool", n.inputs, name: n.name, [.ints("kernel_shape", [k.height, k.width]), .ints("strides", [s.height, s.width]),
                                                     .ints("pads", [p.height, p.width, p.height, p.width]), .int("ceil_mode", ceil ? 1 : 0)])
        case .averagePool(let k, let s, let p, let ceil, let includePad):
            node("AveragePool", n.inputs, name: n.name, [.ints("kernel_shape", [k.height, k.width]), .ints("strides", [s.height, s.width]),
                                                         .ints("pads", [p.height, p.width, p.height, p.width]), .int("ceil_mode", ceil ? 1 : 0),
                                                         .int("count_include_pad", includePad ? 1 : 0)])
        case .globalAveragePool:
            let pooled = node("GlobalAveragePool", n.inputs, name: n.name + ".pool")
            node("Flatten", [pooled], name: n.name, [.int("axis", 1)])
        case .flatten:
            node("Flatten", n.inputs, name: n.name, [.int("axis", 1)])
        case .dense(let w, let b) where n.shape.count == 3:  // tokens [N, T, in]: Gemm takes matrices only
            linear(n.inputs[0], weight: w, bias: b, name: n.name)
        case .dense(let w, let b):
            node("Gemm", n.inputs + [constant(n.name + ".weight", w)] + (b.map { [constant(n.name + ".bias", $0)] } ?? []),
                 name: n.name, [.int("transB", 1)])
        case .patchTokens(let classToken, let positions):
            let d = positions.shape[2]
            let flat = node("Reshape", n.inputs + [integers(n.name + ".flat_shape", [0, d, -1])], name: n.name + ".flat")
            let tokens = node("Transpose", [flat], name: n.name + ".patches", [.ints("perm", [0, 2, 1])])
            let batch = node("Shape", [tokens], name: n.name + ".batch", [.int("end", 1)])
            let shape = node("Concat", [batch, integers(n.name + ".token_shape", [1, d])], name: n.name + ".class_shape", [.int("axis", 0)])
            let token = node("Expand", [constant(n.name + ".class_token", classToken), shape], name: n.name + ".class")
            let joined = node("Concat", [token, tokens], name: n.name + ".joined", [.int("axis", 1)])
            node("Add", [joined, constant(n.name + ".positions", positions)], name: n.name)
        case .selfAttention(let inWeight, let inBias, let outWeight, let outBias, let heads):
            let d = outWeight.shape[0], width = d / heads
            let qkv = linear(n.inputs[0], weight: inWeight, bias: inBias, name: n.name + ".qkv")
            let split = node("Reshape", [qkv, integers(n.name + ".split_shape", [0, 0, 3, heads, width])], name: n.name + ".split")
            let stacked = node("Transpose", [split], name: n.name + ".stacked", [.ints("perm", [2, 0, 3, 1, 4])])  // [3, N, heads, T, width]
            let parts = ["q", "k", "v"].enumerated().map { i, part in
                node("Gather", [stacked, integers(n.name + ".\(part)_index", [i], scalar: true)], name: n.name + ".\(part)", [.int("axis", 0)])
            }
            let (q, k, v) = (parts[0], parts[1], parts[2])
            let keys = node("Transpose", [k], name: n.name + ".k_t", [.ints("perm", [0, 1, 3, 2])])
            let scores = node("Mul", [node("MatMul", [q, keys], name: n.name + ".qk"), constant(n.name + ".scale", Tensor(Float(1 / Double(width).squareRoot())))],
                              name: n.name + ".scores")
            let weights = node("Softmax", [scores], name: n.name + ".weights", [.int("axis", -1)])
            let heads = node("Transpose", [node("MatMul", [weights, v], name: n.name + ".weighted")], name: n.name + ".heads", [.ints("perm", [0, 2, 1, 3])])
            let joined = node("Reshape", [heads, integers(n.name + ".join_shape", [0, 0, d])], name: n.name + ".joined")
            linear(joined, weight: outWeight, bias: outBias, name: n.name)
        case .firstToken:
            node("Gather", n.inputs + [integers(n.name + ".index", [0], scalar: true)], name: n.name, [.int("axis", 1)])
        }
    }

    /// x · Wᵀ + b for x of any rank as MatMul and Add, with Wᵀ stored ([in, out]).
    @discardableResult
    private mutating func linear(_ x: String, weight w: Tensor, bias b: Tensor?, name: String) -> String {
        let (out, inputs) = (w.shape[0], w.shape[1])
        let values = w.scalars
        let transposed = (0..<(inputs * out)).map { values[($0 % out) * inputs + $0 / out] }
        let product = node("MatMul", [x, constant(name + ".weight", transposed, dims: [inputs, out])], name: b == nil ? name : name + ".matmul")
        guard let b else { return product }
        return node("Add", [product, constant(name + ".bias", b)], name: name)
    }

    /// An activation in opset 17's operators: GELU (an operator only from opset 20) and SiLU written out.
    private mutating func activation(_ a: Activation, _ x: String, name: String) {
        switch a {
        case .sigmoid: node("Sigmoid", [x], name: name)
        case .hardSigmoid: node("HardSigmoid", [x], name: name, [.float("alpha", 1 / 6), .float("beta", 0.5)])
        case .hardSwish: node("HardSwish", [x], name: name)
        case .silu: node("Mul", [x, node("Sigmoid", [x], name: name + ".sigmoid")], name: name)
        case .gelu:  // x · (1 + erf(x / √2)) · ½
            let scaled = node("Div", [x, constant(name + ".sqrt2", Tensor(Float(2).squareRoot()))], name: name + ".scaled")
            let plusOne = node("Add", [node("Erf", [scaled], name: name + ".erf"), constant(name + ".one", Tensor(1))], name: name + ".plus_one")
            node("Mul", [node("Mul", [x, plusOne], name: name + ".product"), constant(name + ".half", Tensor(0.5))], name: name)
        case .geluTanh:  // x · (1 + tanh(√(2/π) · (x + 0.044715 x³))) · ½
            let cube = node("Mul", [x, node("Mul", [x, x], name: name + ".square")], name: name + ".cube")
            let inner = node("Add", [x, node("Mul", [cube, constant(name + ".coefficient", Tensor(0.044715))], name: name + ".term")], name: name + ".inner")
            let tanh = node("Tanh", [node("Mul", [inner, constant(name + ".scale", Tensor(Float((2 / Double.pi).squareRoot())))], name: name + ".scaled")],
                            name: name + ".tanh")
            let plusOne = node("Add", [tanh, constant(name + ".one", Tensor(1))], name: name + ".plus_one")
            node("Mul", [node("Mul", [x, plusOne], name: name + ".product"), constant(name + ".half", Tensor(0.5))], name: name)
        }
    }

    /// `n` reading the codes of each value an int8 op reads as codes: the input of an int8 convolution, the residual of a
    /// sum fused into one that writes codes, and every value written as codes.
    private mutating func rerouted(_ n: GraphNode, _ plan: QuantizationPlan) -> GraphNode {
        let inputs = n.inputs.enumerated().map { i, v -> String in
            var readsCodes = plan.valuesWrittenAsCodes.contains(v)
            if case .convolution = n.operation, i == 0, plan.convolutions[n.name] != nil { readsCodes = true }
            if case .add = n.operation, n.inputs.contains(where: plan.convolutionsWritingCodes.contains), !plan.convolutionsWritingCodes.contains(v) {
                readsCodes = true
            }
            guard readsCodes, let p = plan.parameters[v] else { return v }
            if let known = codes[v] { return known }
            let (scale, zero) = (constant(v + ".scale", [p.scale], dims: []), bytes(v + ".zero_point", [UInt8(p.zeroPoint)], type: .uint8, dims: []))
            let made = node("DequantizeLinear", [node("QuantizeLinear", [v, scale, zero], name: v + ".quantized"), scale, zero], name: v + ".dequantized")
            codes[v] = made
            return made
        }
        return GraphNode(name: n.name, operation: n.operation, inputs: inputs, shape: n.shape)
    }

    /// An int8 convolution's weight as its codes dequantized per output channel, and its fp32 bias.
    private mutating func int8Weight(_ name: String, _ c: QuantizedConvolution) -> (weight: String, bias: String) {
        let codes = bytes(name + ".weight_codes", c.weightCodes.map { UInt8(bitPattern: $0) }, type: .int8, dims: c.weightShape)
        let zeros = bytes(name + ".weight_zero_point", [UInt8](repeating: 0, count: c.weightScales.count), type: .int8, dims: [c.weightScales.count])
        let weight = node("DequantizeLinear", [codes, constant(name + ".weight_scale", c.weightScales, dims: [c.weightScales.count]), zeros],
                          name: name + ".weight", [.int("axis", 0)])
        return (weight, constant(name + ".bias", c.bias, dims: [c.bias.count]))
    }

    /// An initializer of 8-bit values (codes, zero points).
    private mutating func bytes(_ name: String, _ values: [UInt8], type: Onnx_TensorProto.DataType, dims: [Int]) -> String {
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = dims.map(Int64.init)
        p.dataType = Int32(type.rawValue)
        p.rawData = Data(values)
        initializers.append(p)
        return name
    }

    /// Adds a node writing the value `name` and returns `name`.
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], name: String, _ attributes: [Attribute] = []) -> String {
        var p = Onnx_NodeProto()
        (p.opType, p.name, p.input, p.output, p.attribute) = (op, name, inputs, [name], attributes.map(\.proto))
        nodes.append(p)
        return name
    }

    /// Renames the value `old` (the graph's result) to `new` wherever it is written or read.
    mutating func rename(_ old: String, to new: String) {
        for i in nodes.indices {
            nodes[i].output = nodes[i].output.map { $0 == old ? new : $0 }
            nodes[i].input = nodes[i].input.map { $0 == old ? new : $0 }
        }
    }

    /// An int64 initializer (a shape or pads operand, or with `scalar` a 0-d index) named `name`.
    private mutating func integers(_ name: String, _ values: [Int], scalar: Bool = false) -> String {
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = scalar ? [] : [Int64(values.count)]
        p.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        p.rawData = values.map(Int64.init).withUnsafeBytes { Data($0) }  // little-endian, as for the floats
        initializers.append(p)
        return name
    }

    /// A float initializer named `name` with the values of `t`, in `t`'s shape or in `dims`.
    private mutating func constant(_ name: String, _ t: Tensor, dims: [Int]? = nil) -> String {
        constant(name, t.scalars, dims: dims ?? t.shape)
    }

    private mutating func constant(_ name: String, _ values: [Float], dims: [Int]) -> String {
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = dims.map(Int64.init)
        p.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        p.rawData = values.withUnsafeBytes { Data($0) }  // little-endian, as ONNX requires (every platform Petal runs on)
        initializers.append(p)
        return name
    }
}
