// What a resumed training needs, written as one file per completed epoch so that a resume always sees a matching set:
// the model's weights and statistics, the optimizer's state and the progress (epochs done, every epoch's logs, the
// best monitored value so far, and why training ended for good, if it did). One atomic write replaces the previous
// unit, so a kill at any moment leaves either the old unit or the new one, never a mix. This is Petal's one resume
// format: `petal train --resume` and any `Trainer.fit` with this callback read it the same way.
import Foundation

/// Where a training stands after its last completed epoch.
public struct TrainingProgress: Codable, Sendable, Equatable {
    /// Epochs whose training and validation finished.
    public var completedEpochs = 0
    /// The logs of every completed epoch, in order.
    public var history: [Logs] = []
    /// The best monitored value so far.
    public var best: Double?
    /// The epoch (0-based) of the best value.
    public var bestEpoch: Int?
    /// Why training ended for good before its last epoch (early stopping), if it did: such a training is not resumed.
    public var stopReason: String?
    /// The identity of the run the training belongs to (its `config.json`'s `runID`), so that a unit copied into
    /// another run's folder is recognised; nil outside runs and in units of a Petal without it.
    public var runID: String?

    /// A training that has completed no epoch.
    public init() {}

    /// Whether training is over: all `epochs` completed, or ended for good (early stopping).
    public func isOver(epochs: Int) -> Bool { stopReason != nil || completedEpochs >= epochs }
}

/// Saves the resume unit at the end of every completed epoch (never for an epoch a stop request cut short), and the
/// model alone into `lastModel` when training ends.
public final class ResumeCheckpoint: Callback {
    /// The unit, rewritten every completed epoch.
    public let file: URL
    /// The monitored key whose best value the progress records, and its direction.
    public let monitor: String, mode: MonitorMode
    /// Where the model of the last completed epoch goes when training ends (nil for nowhere); the unit holds the same
    /// weights meanwhile, so this file is written once, not every epoch.
    public let lastModel: URL?
    /// Written into `lastModel` (architecture, classes, preprocessing); the epoch and logs are added.
    public var metadata: CheckpointMetadata?
    /// The progress so far, as the unit records it.
    public private(set) var progress: TrainingProgress

    /// - Parameters:
    ///   - file: the unit.
    ///   - monitor: the key whose best value is recorded (`val_loss`); mode: larger or smaller is better (automatic).
    ///   - lastModel: where to save the last completed epoch's model when training ends.
    ///   - metadata: what to record about the model in `lastModel`.
    ///   - progress: the progress of the unit a resumed training was loaded from (see ``load(from:model:optimizer:)``).
    public init(file: URL, monitor: String = "val_loss", mode: MonitorMode? = nil, lastModel: URL? = nil, metadata: CheckpointMetadata? = nil,
                resuming progress: TrainingProgress = TrainingProgress()) {
        (self.file, self.monitor, self.mode, self.lastModel, self.metadata, self.progress)
            = (file, monitor, mode ?? .automatic(for: monitor), lastModel, metadata, progress)
    }

    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        // A cut-short epoch has seen part of its batches and no validation: nothing of it is kept, so that a resume
        // trains it again from the previous epoch's state.
        guard !state.epochInterrupted else { return }
        progress.history.append(logs)
        progress.completedEpochs = state.epoch + 1
        if let value = logs[monitor], mode.improves(value, over: progress.best) { (progress.best, progress.bestEpoch) = (value, state.epoch) }
        if state.stopIsFinal { progress.stopReason = state.stopReason }
        try Self.save(model: state.model, optimizer: state.optimizer, progress: progress, to: file)
    }

    /// Saves the last completed epoch's model into ``lastModel``: the one in memory when the last epoch completed,
    /// else (a stop cut an epoch short) the one in the unit.
    public func trainEnd(_ state: TrainingState) throws {
        guard let lastModel, progress.completedEpochs > 0 else { return }
        var meta = metadata ?? CheckpointMetadata()
        meta.epoch = progress.completedEpochs
        meta.metrics = progress.history.last ?? [:]
        if !state.epochInterrupted {
            try state.model.save(to: lastModel, metadata: meta)
        } else {
            let unit = try SafeTensors(data: FileSystem.read(file.path), source: file.path)
            try SafeTensors.checkpoint(Self.part(Self.modelPrefix, of: unit), metadata: meta).save(to: lastModel)
        }
    }

    // MARK: The unit

    private static let modelPrefix = "model/", optimizerPrefix = "optimizer/"

    /// Writes model, optimizer and progress as one file, atomically.
    public static func save(model: Module, optimizer: Optimizer, progress: TrainingProgress, to url: URL) throws {
        try AtomicFile.write(try encoded(model: model, optimizer: optimizer, progress: progress), to: url)
    }

    /// The unit's bytes (what ``save(model:optimizer:progress:to:)`` writes, and what rank 0 of a distributed training
    /// sends the other ranks).
    public static func encoded(model: Module, optimizer: Optimizer, progress: TrainingProgress) throws -> Data {
        let tensors = model.stateDict.map { (modelPrefix + $0.name, $0.tensor) } + (try optimizer.stateDict()).map { (optimizerPrefix + $0.name, $0.tensor) }
        let metadata = ["progress": String(decoding: try RunJSON.encode(progress), as: UTF8.self), "petalVersion": PetalVersion.current]
        return try SafeTensors(tensors: tensors, metadata: metadata).encoded()
    }

    /// Loads the unit at `url` into `model` and `optimizer` and returns the progress it records.
    /// - Throws: ``TrainingError/state(_:)`` naming the file when it is missing, damaged or does not fit the model.
    public static func load(from url: URL, model: Module, optimizer: Optimizer) throws -> TrainingProgress {
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError { throw TrainingError.state("\(url.lastPathComponent): \(e.reason)") }
        return try restore(data, source: url, model: model, optimizer: optimizer)
    }

    /// Loads a unit's bytes into `model` and `optimizer` and returns its progress; `source` names it in errors.
    public static func restore(_ data: Data, source url: URL, model: Module, optimizer: Optimizer) throws -> TrainingProgress {
        let file: SafeTensors
        do { file = try SafeTensors(data: data, source: url.path) } catch { throw TrainingError.state(error.localizedDescription) }
        guard let json = file.metadata["progress"], let progress = try? RunJSON.decode(TrainingProgress.self, from: Data(json.utf8)) else {
            throw TrainingError.state("\(url.lastPathComponent) has no readable progress record")
        }
        guard progress.completedEpochs == progress.history.count, progress.completedEpochs >= 0 else {
            throw TrainingError.state("\(url.lastPathComponent) records \(progress.completedEpochs) epochs but \(progress.history.count) history rows")
        }
        if let bad = part(optimizerPrefix, of: file).first(where: { !$0.tensor.scalars.allSatisfy(\.isFinite) }) {
            throw TrainingError.state("\(url.lastPathComponent): the optimizer's '\(bad.name)' holds a non-finite value (NaN or infinity)")
        }
        do {
            try model.load(SafeTensors(tensors: part(modelPrefix, of: file)), source: url.path)
            try optimizer.loadStateDict(part(optimizerPrefix, of: file))
        } catch {
            throw TrainingError.state(error.localizedDescription)
        }
        return progress
    }

    private static func part(_ prefix: String, of file: SafeTensors) -> [(name: String, tensor: Tensor)] {
        file.tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) }
    }
}
