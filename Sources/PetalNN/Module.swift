// The building block of every network: a layer or model with named parameters, named buffers and named
// children. Names compose with dots exactly like a torchvision state dict (`layer1.0.conv1.weight`), so
// checkpoints map one to one onto PyTorch's. Train/eval mode is a property each module carries, set
// explicitly with `train()` / `eval()` — never a hidden global.
import Foundation

/// Why a model could not be built, run, saved or loaded.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    /// A layer or model was asked for an impossible shape or setting.
    case invalidConfiguration(String)
    /// A checkpoint file could not be read, written or fitted to the model.
    case checkpoint(path: String, reason: String)
    /// A model's forward pass does work that a traced graph cannot describe (see ``Module/inferenceGraph(inputShape:foldingBatchNorm:)``).
    case untraceable(String)

    /// One line naming the problem (and the file, for checkpoints: "best.safetensors: has no Petal metadata …").
    public var description: String {
        switch self {
        case .invalidConfiguration(let m), .untraceable(let m): m
        // The path alone: a file given where a checkpoint was expected (an ONNX model, a JSON file) is not called one.
        case .checkpoint(let path, let reason): "\(path): \(reason)"
        }
    }
}

extension ModelError: LocalizedError {
    /// The same line as ``description``.
    public var errorDescription: String? { description }
}

/// A network layer or a whole model. Subclasses register their tensors and children in `init`
/// and override `forward(_:)`.
open class Module {
    private var ownParameters: [(name: String, tensor: Tensor)] = []
    private var ownBuffers: [(name: String, tensor: Tensor)] = []
    private var ownChildren: [(name: String, module: Module)] = []

    /// Whether the module runs in training mode (batch statistics, dropout) or inference mode: the mode set with
    /// `train()`/`eval()`, except inside ``evaluating(_:)`` and ``inferring(_:)``, where every module reads false.
    public var isTraining: Bool { trainingMode && !Module.evaluationScope }
    private var trainingMode = true
    /// Set by `evaluating`: a scope of this task in which modules run in inference mode without being switched.
    @TaskLocal private static var evaluationScope = false

    /// An empty module; subclasses register parameters, buffers and children in their own initialiser.
    public init() {}

    // MARK: Registration

    /// Adds a trainable tensor under `name`; it becomes a leaf of the autodiff graph.
    public func registerParameter(_ name: String, _ tensor: Tensor) {
        ownParameters.append((name, tensor.requiresGradient ? tensor : tensor.requiringGradient()))
    }

    /// Adds a non-trainable tensor (running statistics, counters) under `name`.
    public func registerBuffer(_ name: String, _ tensor: Tensor) { ownBuffers.append((name, tensor.detached())) }

    /// Adds a child module under `name` (its tensors appear as `name.<their names>`).
    @discardableResult
    public func registerChild<M: Module>(_ name: String, _ module: M) -> M {
        ownChildren.append((name, module))
        module.setTraining(trainingMode)
        return module
    }

    /// This module's own parameter `name`.
    public func parameter(_ name: String) -> Tensor {
        guard let p = ownParameters.first(where: { $0.name == name }) else { preconditionFailure("\(type(of: self)) has no parameter '\(name)'") }
        return p.tensor
    }

    /// This module's own parameter `name`, or nil when it has none by that name (an optional bias).
    public final func optionalParameter(_ name: String) -> Tensor? {
        ownParameters.first(where: { $0.name == name })?.tensor
    }

    /// This module's own buffer `name`.
    public func buffer(_ name: String) -> Tensor {
        guard let b = ownBuffers.first(where: { $0.name == name }) else { preconditionFailure("\(type(of: self)) has no buffer '\(name)'") }
        return b.tensor
    }

    /// Direct children, in registration order.
    public var children: [(name: String, module: Module)] { ownChildren }

    // MARK: Traversal

    /// Every parameter of this module and its descendants, with dotted names, in a stable order
    /// (own parameters first, then each child's): the order optimizers use.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        ownParameters + ownChildren.flatMap { c in c.module.namedParameters.map { (c.name + "." + $0.name, $0.tensor) } }
    }

    /// Every buffer, with dotted names.
    public var namedBuffers: [(name: String, tensor: Tensor)] {
        ownBuffers + ownChildren.flatMap { c in c.module.namedBuffers.map { (c.name + "." + $0.name, $0.tensor) } }
    }

    /// Parameters and buffers in PyTorch's `state_dict()` order (per module: parameters, buffers, then children).
    public var stateDict: [(name: String, tensor: Tensor)] {
        ownParameters + ownBuffers + ownChildren.flatMap { c in c.module.stateDict.map { (c.name + "." + $0.name, $0.tensor) } }
    }

    /// The parameter or buffer with torchvision's dotted name, e.g. `"layer1.0.conv1.weight"`.
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` naming the unknown name and the closest known ones.
    public func tensor(named name: String) throws -> Tensor {
        let all = stateDict
        if let hit = all.first(where: { $0.name == name }) { return hit.tensor }
        // Suggest the names under the longest known prefix of the asked one.
        var parts = name.split(separator: ".").dropLast()
        var near: [String] = []
        while near.isEmpty {
            let prefix = parts.joined(separator: ".")
            near = Array(all.map(\.name).filter { prefix.isEmpty || $0.hasPrefix(prefix + ".") }.prefix(6))
            if parts.isEmpty { break }
            parts = parts.dropLast()
        }
        throw ModelError.invalidConfiguration("\(layerDescription) has no tensor named '\(name)'" + (near.isEmpty ? "" : " (there are \(near.joined(separator: ", ")), …)"))
    }

    /// The descendant module with a dotted name, e.g. `"layer1.0.conv1"` (`""` is this module).
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` naming the unknown name.
    public func module(named name: String) throws -> Module {
        guard let hit = namedModules.first(where: { $0.name == name }) else {
            throw ModelError.invalidConfiguration("\(layerDescription) has no module named '\(name)'")
        }
        return hit.module
    }

    /// The trainable tensors, in `namedParameters` order.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// Number of trainable scalars (what Keras' summary and torchvision's counts report).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Every module in the tree with its dotted path ("" for self), parents before children.
    public var namedModules: [(name: String, module: Module)] {
        [("", self)] + ownChildren.flatMap { c in c.module.namedModules.map { (($0.name.isEmpty ? c.name : c.name + "." + $0.name), $0.module) } }
    }

    // MARK: Mode and gradients

    /// Switches this module and all descendants to training mode.
    public func train() { setTraining(true) }
    /// Switches this module and all descendants to inference mode.
    public func eval() { setTraining(false) }

    /// Sets training (`true`) or inference mode on this module and every descendant.
    public func setTraining(_ on: Bool) {
        trainingMode = on
        for c in ownChildren { c.module.setTraining(on) }
    }

    /// Restarts the random draws of every layer that makes them in training (``Dropout``, ``StochasticDepth``) at a
    /// point that depends on `epoch` and the layer's seed only, so that an epoch rerun after a resume draws what it drew
    /// the first time. The trainer calls it as each epoch begins.
    public func restartRandomDraws(epoch: Int) {
        for (_, m) in namedModules { (m as? EpochSeeded)?.restartDraws(epoch: epoch) }
    }

    /// Sets the arithmetic of every convolution in this module and its descendants: `.bf16` runs them on
    /// oneDNN's bfloat16 kernels (AMX where the CPU has it) with fp32 weights, gradients and other ops.
    public func setConvolutionPrecision(_ precision: Precision) {
        for (_, m) in namedModules { (m as? Conv2D)?.precision = precision }
    }

    /// Sets how every convolution in this module and its descendants is computed (see `ConvolutionAlgorithm`).
    public func setConvolutionAlgorithm(_ algorithm: ConvolutionAlgorithm) {
        for (_, m) in namedModules { (m as? Conv2D)?.algorithm = algorithm }
    }

    /// Runs `body` with every module in inference mode (running statistics, no dropout) without switching any: the
    /// model is not written to, so other threads may train or predict with it meanwhile, and its mode is the same
    /// afterwards. Gradients are recorded as usual (Grad-CAM needs them); ``inferring(_:)`` also turns them off.
    public func evaluating<R>(_ body: () throws -> R) rethrows -> R {
        try Module.$evaluationScope.withValue(true, operation: body)
    }

    /// Clears the accumulated gradient of every parameter.
    public func zeroGrad() { for p in parameters { p.zeroGradient() } }

    // MARK: Running

    /// The computation of this module. Subclasses must override it.
    open func forward(_ input: Tensor) throws -> Tensor {
        preconditionFailure("\(type(of: self)) must override forward(_:)")
    }

    /// Runs `forward` as a call of this module (see ``called(_:)``).
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try called { try forward(input) } }

    /// Runs `body` as a call of this module: in a traced graph its ops are named after the module's path, and its
    /// output shape goes to a summary in progress. For entry points other than `callAsFunction(_:)`.
    public func called(_ body: () throws -> Tensor) rethrows -> Tensor {
        try recorded(GraphTracer.withScope(self, body))
    }

    /// Notes `output` as this module's result for `summary(inputShape:)`.
    public func recorded(_ output: Tensor) -> Tensor {
        SummaryRecorder.current?.record(self, output.shape)
        return output
    }

    /// A one-line description for summaries, e.g. `Conv2D(3→64, kernel 7, stride 2, padding 3)`.
    open var layerDescription: String { String(describing: type(of: self)) }
}
