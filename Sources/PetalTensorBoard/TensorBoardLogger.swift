// The training callback that writes TensorBoard logs as Keras' TensorBoard callback lays them out: `train/` and
// `validation/` sub-folders, so each chart overlays the two curves; per epoch `epoch_loss`, `epoch_accuracy`,
// `epoch_auc` (step = the 0-based epoch, as Keras), `epoch_learning_rate` in `train/`; per batch `batch_loss` and
// `batch_learning_rate` (step = the global batch count); optionally every parameter's histogram per epoch.
import Foundation
import PetalImage
import PetalTrain

/// Writes a training's logs for TensorBoard (`tensorboard --logdir DIR`).
public final class TensorBoardLogger: Callback {
    /// The log folder (its `train/` and `validation/` sub-folders hold the event files).
    public let directory: URL
    /// Whether every parameter's histogram is written at the end of each epoch.
    public let histograms: Bool
    /// Pictures written into `train/` when training begins (a run's first augmented batch), by tag.
    public var picturesAtStart: [(tag: String, make: () throws -> Image<UInt8>)] = []
    private var train: TensorBoardWriter?, validation: TensorBoardWriter?

    /// - Parameters:
    ///   - directory: the log folder; created when training begins.
    ///   - histograms: also write weight histograms each epoch (larger files).
    public init(directory: URL, histograms: Bool = false) {
        (self.directory, self.histograms) = (directory, histograms)
    }

    /// The writer of `train/` (for images a run adds, such as its first batch), open once training has begun.
    public var trainingWriter: TensorBoardWriter? { train }
    /// The writer of `validation/`, open once training has begun.
    public var validationWriter: TensorBoardWriter? { validation }

    public func trainBegin(_ state: TrainingState) throws {
        train = try TensorBoardWriter(directory: directory.appendingPathComponent("train"))
        validation = try TensorBoardWriter(directory: directory.appendingPathComponent("validation"))
        if state.step > 0 {
            // A resumed training: the cut epoch's batches were logged already and are logged again from its first batch
            // (step state.step + 1), so TensorBoard is told to drop the earlier ones (what TensorFlow's writers do on a restart).
            try train?.write(TensorBoardEvent(wallTime: Date().timeIntervalSince1970, step: state.step + 1, sessionStart: true))
        }
        for picture in picturesAtStart { try train?.image(picture.tag, picture.make(), step: state.step) }
    }

    public func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws {
        guard let loss = logs["batch_loss"] else { return }
        try train?.scalars(["batch_loss": loss, "batch_learning_rate": Double(state.optimizer.learningRate)], step: state.step)
    }

    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        guard !state.epochInterrupted else { return }  // a cut epoch is trained again on resume
        let (trainScalars, validationScalars) = Self.epochScalars(logs)
        try train?.scalars(trainScalars, step: state.epoch)
        try validation?.scalars(validationScalars, step: state.epoch)
        if histograms {
            let named = (state.model.namedParameters).map { (tag: $0.name, values: $0.tensor.scalars) }
            try train?.histograms(named, step: state.epoch)
        }
    }

    /// Keras' tags for an epoch's logs: `loss` → `epoch_loss` in train, `val_loss` → `epoch_loss` in validation,
    /// `lr` → `epoch_learning_rate`.
    public static func epochScalars(_ logs: Logs) -> (train: [String: Double], validation: [String: Double]) {
        var train: [String: Double] = [:], validation: [String: Double] = [:]
        for (key, value) in logs {
            if key.hasPrefix("val_") { validation["epoch_" + key.dropFirst(4)] = value }
            else if key == "lr" { train["epoch_learning_rate"] = value }
            else { train["epoch_" + key] = value }
        }
        return (train, validation)
    }
}
