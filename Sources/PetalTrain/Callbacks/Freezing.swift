// fastai's `freeze` / Keras' `trainable = False` for fine-tuning: for the first epochs only the new head learns, then
// everything does. Frozen layers run in inference mode, so their batch-norm statistics stay those of the pretrained
// weights (Keras' advice for fine-tuning on a small data set; fastai would keep training batch norm), and their
// gradients are cleared before each optimizer step, so no update, momentum or weight decay touches them.

/// Trains only `trainable` modules for the first `epochs` epochs.
public final class FreezeBackbone: Callback {
    /// Epochs with everything but `trainable` frozen.
    public let epochs: Int
    /// The modules that learn while the rest is frozen (a ResNet's `fc`, say).
    public let trainable: [Module]
    /// The trainable modules' parameters, known by their storage (shared with the model's).
    private var kept: Set<ObjectIdentifier> = []

    /// - Parameters:
    ///   - epochs: epochs with everything but `trainable` frozen (0 freezes nothing).
    ///   - trainable: the modules that learn from the start.
    public init(epochs: Int, trainable: [Module]) throws {
        guard epochs >= 0 else { throw TrainingError.invalidSetting("FreezeBackbone: epochs must be ≥ 0, got \(epochs)") }
        (self.epochs, self.trainable) = (epochs, trainable)
    }

    /// Notes which parameters stay trainable.
    public func trainBegin(_ state: TrainingState) throws {
        kept = Set(trainable.flatMap { $0.parameters.map { $0.revision.storageIdentity } })
    }

    /// Whether layers outside `trainable` are frozen in the current epoch.
    public func isFrozen(_ state: TrainingState) -> Bool { state.epoch < epochs }

    /// Frozen layers switch to inference mode before each batch (the trainer puts the model in training mode each epoch).
    public func batchBegin(_ state: TrainingState, batch: Int) throws {
        guard isFrozen(state) else { return }
        state.model.eval()
        for m in trainable { m.train() }
    }

    /// The frozen layers' gradients are cleared, so the optimizer skips them.
    public func beforeOptimizerStep(_ state: TrainingState, batch: Int) throws {
        guard isFrozen(state) else { return }
        for p in state.optimizer.parameters where !kept.contains(p.revision.storageIdentity) { p.zeroGradient() }
    }
}
