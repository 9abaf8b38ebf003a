/// Batch normalisation over the channels of NCHW input, with PyTorch's parameter and buffer names
/// (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`).
public final class BatchNorm2D: Module {
    public let channels: Int
    public let momentum: Float, epsilon: Float

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) throws {
        guard channels > 0 else { throw ModelError.invalidConfiguration("BatchNorm2D: channels must be positive, got \(channels)") }
        guard momentum >= 0 && momentum <= 1, epsilon > 0 else {
            throw ModelError.invalidConfiguration("BatchNorm2D(\(channels)): momentum must be in [0, 1] and epsilon positive")
        }
        (self.channels, self.momentum, self.epsilon) = (channels, momentum, epsilon)
        super.init()
        registerParameter("weight", try Tensor.ones([channels]))
        registerParameter("bias", try Tensor.zeros([channels]))
        registerBuffer("running_mean", try Tensor.zeros([channels]))
        registerBuffer("running_var", try Tensor.ones([channels]))
        registerBuffer("num_batches_tracked", Tensor(0))
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try callAsFunction(x, fusedReLU: false) }

    /// Normalises `x`; with `fusedReLU` the ReLU that follows runs inside the same oneDNN primitive.
    public func callAsFunction(_ x: Tensor, fusedReLU: Bool) throws -> Tensor {
        if isTraining { try buffer("num_batches_tracked").assign(Tensor(try buffer("num_batches_tracked").item() + 1)) }
        return recorded(try x.batchNorm2d(scale: parameter("weight"), shift: parameter("bias"),
                                          runningMean: buffer("running_mean"), runningVariance: buffer("running_var"),
                                          training: isTraining, momentum: momentum, epsilon: epsilon, fusedReLU: fusedReLU))
    }

    public override var layerDescription: String { "BatchNorm2D(\(channels))" }
}
