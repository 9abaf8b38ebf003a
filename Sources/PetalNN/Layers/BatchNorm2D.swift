/// Batch normalisation over the channels of NCHW input, with PyTorch's parameter and buffer names
/// (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
public final class BatchNorm2D: Module {
    /// Channels normalised.
    public let channels: Int
    /// PyTorch's momentum of the running statistics (0.1) and the variance offset ε (1e-5).
    public var momentum: Float, epsilon: Float
    /// The running variance takes each batch's unbiased variance (PyTorch) or its biased one (Keras).
    public var unbiasedRunningVariance: Bool

    /// - Parameters:
    ///   - channels: channels of the input.
    ///   - momentum: weight of each batch in the running statistics (PyTorch's convention; Keras' momentum is 1 − this).
    ///   - epsilon: added to the variance before the square root.
    ///   - unbiasedRunningVariance: update the running variance with the batch's unbiased variance (PyTorch) or the
    ///     biased one (Keras).
    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5, unbiasedRunningVariance: Bool = true) throws {
        guard channels > 0 else { throw ModelError.invalidConfiguration("BatchNorm2D: channels must be positive, got \(channels)") }
        guard momentum >= 0 && momentum <= 1, epsilon > 0 else {
            throw ModelError.invalidConfiguration("BatchNorm2D(\(channels)): momentum must be in [0, 1] and epsilon positive")
        }
        (self.channels, self.momentum, self.epsilon, self.unbiasedRunningVariance) = (channels, momentum, epsilon, unbiasedRunningVariance)
        (weight, bias) = (try Tensor.ones([channels]).requiringGradient(), try Tensor.zeros([channels]).requiringGradient())
        (runningMean, runningVariance, batchesTracked) = (try Tensor.zeros([channels]), try Tensor.ones([channels]), Tensor(0))
        super.init()
        registerParameter("weight", weight)
        registerParameter("bias", bias)
        registerBuffer("running_mean", runningMean)
        registerBuffer("running_var", runningVariance)
        registerBuffer("num_batches_tracked", batchesTracked)
    }

    /// The scale γ and shift β per channel (PyTorch's `weight` and `bias`).
    public let weight: Tensor, bias: Tensor
    /// The running mean and (unbiased) variance used in inference (`running_mean`, `running_var`).
    public let runningMean: Tensor, runningVariance: Tensor
    /// Training batches seen (`num_batches_tracked`).
    public let batchesTracked: Tensor
    /// In training, take the statistics over the batches of all ranks of this communicator (synchronised batch norm,
    /// PyTorch's `SyncBatchNorm`); nil normalises with this process's batch alone.
    public var synchronizer: Communicator?

    /// Normalises `x` with batch statistics in training mode (updating the running ones) or the running ones in inference.
    public override func forward(_ x: Tensor) throws -> Tensor { try normalized(x, fusedReLU: false) }

    private func normalized(_ x: Tensor, fusedReLU: Bool) throws -> Tensor {
        if isTraining { try batchesTracked.assign(Tensor(try batchesTracked.item() + 1)) }
        return try x.batchNorm2d(scale: weight, shift: bias, runningMean: runningMean, runningVariance: runningVariance,
                                 training: isTraining, momentum: momentum, epsilon: epsilon, unbiasedRunningVariance: unbiasedRunningVariance,
                                 fusedReLU: fusedReLU, synchronizer: synchronizer)
    }

    /// Normalises `x`; with `fusedReLU` the ReLU that follows runs inside the same oneDNN primitive.
    public func callAsFunction(_ x: Tensor, fusedReLU: Bool) throws -> Tensor { try called { try normalized(x, fusedReLU: fusedReLU) } }

    /// "BatchNorm2D(channels)".
    public override var layerDescription: String { "BatchNorm2D(\(channels))" }
}

extension Module {
    /// Makes every batch-norm layer of this model take its training statistics over all ranks of `communicator`
    /// (PyTorch's `convert_sync_batchnorm`), or, with nil, each process's own batch again. Every rank then takes part
    /// in every training forward and backward pass: no rank may skip a batch (drop partial last batches smaller
    /// than the number of ranks).
    public func synchronizeBatchNorm(_ communicator: Communicator?) {
        for case let bn as BatchNorm2D in namedModules.map(\.module) { bn.synchronizer = communicator }
    }
}
