// What a resumed run needs, written as one file per completed epoch so that a resume always sees a matching set:
// the model's weights and statistics, the optimizer's state and the run's progress (epochs done, every epoch's
// logs, the best monitored value so far). One atomic write replaces the previous unit, so a kill at any moment
// leaves either the old unit or the new one, never a mix; `history.csv` is rebuilt from it on resume.
import Foundation
import PetalNN
import PetalTrain

/// Where a run stands after its last completed epoch.
public struct RunProgress: Codable, Sendable, Equatable {
    /// Epochs whose training and validation finished.
    public var completedEpochs = 0
    /// The logs of every completed epoch, in order (what `history.csv` shows).
    public var history: [Logs] = []
    /// The best monitored value so far.
    public var best: Double?
    /// The epoch (0-based) of the best value.
    public var bestEpoch: Int?
    /// Why the run ended before its last epoch (early stopping), if it did.
    public var stopReason: String?

    /// A run that has completed no epoch.
    public init() {}
}

/// Saves and restores the unit a resume reads (``RunFiles/trainingState``).
public enum TrainingCheckpoint {
    private static let modelPrefix = "model/", optimizerPrefix = "optimizer/"

    /// Writes model, optimizer and progress as one file, atomically.
    public static func save(model: Module, optimizer: Optimizer, progress: RunProgress, to url: URL) throws {
        try AtomicFile.write(try encoded(model: model, optimizer: optimizer, progress: progress), to: url)
    }

    /// The unit's bytes (what ``save(model:optimizer:progress:to:)`` writes, and what rank 0 of a distributed run
    /// sends the other ranks).
    public static func encoded(model: Module, optimizer: Optimizer, progress: RunProgress) throws -> Data {
        let tensors = model.stateDict.map { (modelPrefix + $0.name, $0.tensor) } + (try optimizer.stateDict()).map { (optimizerPrefix + $0.name, $0.tensor) }
        let metadata = ["progress": String(decoding: try RunJSON.encode(progress), as: UTF8.self), "petalVersion": PetalVersion.current]
        return try SafeTensors(tensors: tensors, metadata: metadata).encoded()
    }

    /// Loads the unit at `url` into `model` and `optimizer` and returns the progress it records.
    /// - Throws: ``RunError/cannotResume(path:reason:)`` when the file is missing, damaged or does not fit the model.
    public static func load(from url: URL, model: Module, optimizer: Optimizer) throws -> RunProgress {
        func fail(_ reason: String) -> RunError { .cannotResume(path: url.deletingLastPathComponent().path, reason: reason) }
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError { throw fail("\(url.lastPathComponent): \(e.reason)") }
        return try restore(data, source: url, model: model, optimizer: optimizer)
    }

    /// Loads a unit's bytes into `model` and `optimizer` and returns its progress; `source` names it in errors.
    public static func restore(_ data: Data, source url: URL, model: Module, optimizer: Optimizer) throws -> RunProgress {
        func fail(_ reason: String) -> RunError { .cannotResume(path: url.deletingLastPathComponent().path, reason: reason) }
        let file: SafeTensors
        do { file = try SafeTensors(data: data, source: url.path) } catch { throw fail(error.localizedDescription) }
        guard let json = file.metadata["progress"], let progress = try? RunJSON.decode(RunProgress.self, from: Data(json.utf8)) else {
            throw fail("\(url.lastPathComponent) has no readable progress record")
        }
        guard progress.completedEpochs == progress.history.count, progress.completedEpochs >= 0 else {
            throw fail("\(url.lastPathComponent) records \(progress.completedEpochs) epochs but \(progress.history.count) history rows")
        }
        func part(_ prefix: String) -> [(name: String, tensor: Tensor)] {
            file.tensors.filter { $0.name.hasPrefix(prefix) }.map { (String($0.name.dropFirst(prefix.count)), $0.tensor) }
        }
        do {
            try model.load(SafeTensors(tensors: part(modelPrefix)), source: url.path)
            try optimizer.loadStateDict(part(optimizerPrefix))
        } catch {
            throw fail(error.localizedDescription)
        }
        return progress
    }
}
