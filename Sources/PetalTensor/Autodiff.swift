// Reverse-mode automatic differentiation on a tape (as micrograd): every differentiable op that sees an
// input needing gradients records a node holding its inputs' nodes and a backward rule; `backward()`
// sorts the graph topologically and walks it in reverse. Backward rules never capture their own output
// tensor with its node (that would be a retain cycle); they capture detached values only.

/// A node of the autodiff graph. Leaves (parameters, inputs) accumulate `grad`; inner nodes hold a rule.
final class GradNode: @unchecked Sendable {
    /// The inputs' nodes, `nil` for inputs that need no gradient.
    let parents: [GradNode?]
    /// Maps the gradient of the output to one gradient per input (nil where `needs[i]` is false).
    var rule: ((_ gradOutput: Tensor, _ needs: [Bool]) throws -> [Tensor?])?
    /// Accumulated gradient of a leaf.
    var grad: Tensor?
    let op: String

    init(op: String, parents: [GradNode?], rule: @escaping (Tensor, [Bool]) throws -> [Tensor?]) {
        self.op = op
        self.parents = parents
        self.rule = rule
    }

    init(leaf: ()) {
        op = "leaf"
        parents = []
        rule = nil
    }

    var isLeaf: Bool { parents.isEmpty }
}

/// Gradient recording can be switched off for a scope (inference, optimizer updates, backward itself).
public enum GradientMode {
    @TaskLocal static var isEnabled = true

    /// Whether ops currently record the autodiff graph.
    public static var isRecording: Bool { isEnabled }

    /// Whether an op on `inputs` records the graph: recording is on and some input requires a gradient.
    static func records(_ inputs: Tensor?...) -> Bool { isEnabled && inputs.contains { $0?.node != nil } }
}

/// Runs `body` without recording any autodiff graph (the `torch.no_grad()` of Petal).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    try GradientMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Whether gradients flow back through this tensor.
    public var requiresGradient: Bool { node != nil }

    /// The gradient accumulated by `backward()` (leaves only), `nil` before any backward pass.
    public var grad: Tensor? { node?.grad }

    /// This tensor as a leaf of the autodiff graph: `backward()` will accumulate into its `grad`.
    public func requiringGradient() -> Tensor {
        Tensor(shape: shape, storage: storage, node: GradNode(leaf: ()))
    }

    /// The same values without autodiff history.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Forgets the accumulated gradient of this leaf.
    public func zeroGradient() { node?.grad = nil }

    /// Replaces the accumulated gradient of this leaf (data-parallel training writes the average over ranks).
    /// - Throws: `TensorError` when this tensor needs no gradient or `gradient` has another shape.
    public func setGradient(_ gradient: Tensor) throws {
        guard let node, node.isLeaf else { throw TensorError.invalidArgument(op: "setGradient", message: "the tensor is not a leaf requiring gradients") }
        guard gradient.shape == shape else {
            throw TensorError.shapeMismatch(op: "setGradient", message: "gradient \(describe(gradient.shape)) for a tensor of shape \(describe(shape))")
        }
        node.grad = gradient.detached()
    }

    /// Records `self` (just computed from `inputs`) in the graph when recording is on and any input needs it.
    func recorded(_ op: String, _ inputs: [Tensor], rule: @escaping (Tensor, [Bool]) throws -> [Tensor?]) -> Tensor {
        guard GradientMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return self }
        var out = self
        out.node = GradNode(op: op, parents: inputs.map(\.node), rule: rule)
        return out
    }

    /// Back-propagates from this tensor. Without `seed` it must hold one element (a loss) and the seed is 1.
    /// Gradients of leaves accumulate across calls (zero them between steps); the graph is freed after use.
    public func backward(seed: Tensor? = nil) throws {
        guard let root = node else {
            throw TensorError.invalidArgument(op: "backward", message: "this tensor does not depend on any tensor requiring gradients")
        }
        if seed == nil && count != 1 {
            throw TensorError.invalidArgument(op: "backward", message: "needs a seed gradient for a non-scalar tensor of shape \(describe(shape))")
        }
        let start = try seed ?? Tensor.full(shape, 1)
        guard start.shape == shape else {
            throw TensorError.shapeMismatch(op: "backward", message: "seed shape \(describe(start.shape)) differs from tensor shape \(describe(shape))")
        }
        try withoutGradients {
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): start]
            for n in GradNode.topologicalOrder(from: root).reversed() {
                guard let g = pending.removeValue(forKey: ObjectIdentifier(n)) else { continue }
                if n.isLeaf {
                    n.grad = try n.grad.map { try $0 + g } ?? g
                    continue
                }
                guard let rule = n.rule else {
                    throw TensorError.invalidArgument(op: "backward", message: "the graph through '\(n.op)' was already used by an earlier backward()")
                }
                let grads = try rule(g, n.parents.map { $0 != nil })
                n.rule = nil  // free what the rule captured, as PyTorch does without retain_graph
                for (p, pg) in zip(n.parents, grads) {
                    guard let p, let pg else { continue }
                    let key = ObjectIdentifier(p)
                    pending[key] = try pending[key].map { try $0 + pg } ?? pg
                }
            }
        }
    }
}

extension GradNode {
    /// Nodes in dependency order, found by an iterative depth-first search (deep nets would overflow recursion).
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited: Set<ObjectIdentifier> = []
        var stack: [(GradNode, Bool)] = [(root, false)]
        while let (n, expanded) = stack.popLast() {
            if expanded { order.append(n); continue }
            guard visited.insert(ObjectIdentifier(n)).inserted else { continue }
            stack.append((n, true))
            for p in n.parents { if let p, !visited.contains(ObjectIdentifier(p)) { stack.append((p, false)) } }
        }
        return order
    }
}
