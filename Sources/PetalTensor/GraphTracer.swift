// Tracing: while a `GraphTracer` is current (a task-local, as `GradientMode`), every traceable op appends what it
// computed to the tracer's graph, naming its inputs by the values earlier ops wrote. Values are told apart by their
// storage and shape; the tracer keeps every storage it named alive, so an address cannot be reused during a trace.
// An op that cannot be traced (Swift arithmetic on values, a constant that no op wrote) breaks the chain: the next
// traced op, or the end of the trace, reports which value came from nowhere.

/// Records the ops of one forward pass as an ``InferenceGraph``.
public final class GraphTracer: @unchecked Sendable {
    @TaskLocal static var current: GraphTracer?

    private struct Key: Hashable { let storage: ObjectIdentifier, shape: [Int] }
    private var names: [Key: String] = [:]
    private var kept: [Storage] = []
    private var nodes: [GraphNode] = []
    private var used: Set<String> = [InferenceGraph.inputName]
    private var failure: String?
    /// Module paths by object identity (set by the caller: PetalNN's modules), and the stack of modules being called.
    private let scopeNames: [ObjectIdentifier: (path: String, isLeaf: Bool)]
    private var scopes: [(path: String, isLeaf: Bool, nodes: Int)] = []

    private init(scopeNames: [ObjectIdentifier: (path: String, isLeaf: Bool)]) { self.scopeNames = scopeNames }

    /// Runs `body` on `input` while tracing and returns the graph of what it computed.
    /// - Parameters:
    ///   - scopeNames: a dotted path per object (PetalNN's modules) that ``withScope(_:_:)`` names nodes after, and
    ///     whether that object is a leaf (a leaf's first node takes its path as its name).
    /// - Throws: `TensorError.invalidArgument` naming the first op or value that could not be traced, or the output
    ///   when it is the input itself; whatever `body` throws.
    public static func trace(input: Tensor, scopeNames: [ObjectIdentifier: (path: String, isLeaf: Bool)] = [:],
                             _ body: (Tensor) throws -> Tensor) throws -> InferenceGraph {
        let tracer = GraphTracer(scopeNames: scopeNames)
        tracer.name(input, InferenceGraph.inputName)
        let output = try $current.withValue(tracer) { try body(input) }
        if let failure = tracer.failure { throw TensorError.invalidArgument(op: "trace", message: failure) }
        guard let name = tracer.names[Key(storage: ObjectIdentifier(output.storage), shape: output.shape)] else {
            throw TensorError.invalidArgument(op: "trace", message: "the output \(describe(output.shape)) was computed by an op that cannot be traced")
        }
        guard name != InferenceGraph.inputName else { throw TensorError.invalidArgument(op: "trace", message: "the output is the input itself") }
        return InferenceGraph(nodes: tracer.nodes, output: name)
    }

    /// Runs `body` as a call of `object` (a module): ops inside are named after its path while a trace is under way.
    public static func withScope<R>(_ object: AnyObject, _ body: () throws -> R) rethrows -> R {
        guard let tracer = current, let scope = tracer.scopeNames[ObjectIdentifier(object)] else { return try body() }
        tracer.scopes.append((scope.path, scope.isLeaf, 0))
        defer { tracer.scopes.removeLast() }
        return try body()
    }

    /// Notes that `operations`, one after another, read `inputs` and wrote `output` (the op itself computes, with
    /// tracing off inside it; a fused op such as batch norm with its ReLU is two operations).
    func record(_ operations: [GraphOperation], inputs: [Tensor], output: Tensor) {
        guard failure == nil, let operation = operations.first else { return }
        var inputNames: [String] = []
        for t in inputs {
            guard let n = names[Key(storage: ObjectIdentifier(t.storage), shape: t.shape)] else {
                failure = "\(operation.kind) at '\(scopes.last?.path ?? "")' reads a value \(describe(t.shape)) that no traceable op wrote"
                    + " (a computation in Swift, or a constant)"
                return
            }
            inputNames.append(n)
        }
        for operation in operations {
            let written = nodeName(operation)
            nodes.append(GraphNode(name: written, operation: operation, inputs: inputNames, shape: output.shape))
            inputNames = [written]
        }
        name(output, inputNames[0])
    }

    /// The name of a new node: its module's path for a leaf module's first node, else the path and the op's kind,
    /// made unique.
    private func nodeName(_ operation: GraphOperation) -> String {
        var base = operation.kind
        if let scope = scopes.last {
            base = scope.isLeaf && scope.nodes == 0 && !scope.path.isEmpty ? scope.path : (scope.path.isEmpty ? base : scope.path + "." + base)
            scopes[scopes.count - 1].nodes += 1
        }
        var unique = base, k = 1
        while used.contains(unique) { unique = "\(base)_\(k)"; k += 1 }
        used.insert(unique)
        return unique
    }

    private func name(_ t: Tensor, _ name: String) {
        names[Key(storage: ObjectIdentifier(t.storage), shape: t.shape)] = name
        kept.append(t.storage)
    }
}

extension Tensor {
    /// `compute()`, appended to the graph as `operation` of `inputs` when a trace is under way (the ops `compute`
    /// calls inside are not).
    func traced(_ operations: @autoclosure () -> [GraphOperation], _ inputs: [Tensor], _ compute: () throws -> Tensor) rethrows -> Tensor {
        guard let tracer = GraphTracer.current else { return try compute() }
        let output = try GraphTracer.$current.withValue(nil) { try compute() }
        tracer.record(operations(), inputs: inputs, output: output)
        return output
    }
}
