// Reading a trained model back for evaluate and predict: the checkpoint, its metadata, and the data
// settings of the run folder it came from (so images are prepared exactly as in training).
import Foundation
import Petal

struct LoadedModel {
    let model: ResNet
    let metadata: CheckpointMetadata
    /// The training run's data settings when the checkpoint sits in a run folder, else the checkpoint's own.
    let data: DataConfig
    /// The run folder's split, when there is one.
    let splitFile: String?

    init(checkpoint path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationFailure("checkpoint \(path): no such file") }
        let url = URL(fileURLWithPath: path)
        let classifier = try Classifier(checkpoint: url)
        let folder = url.deletingLastPathComponent()
        let config = (try? Data(contentsOf: folder.appendingPathComponent("config.json"))).flatMap { try? JSONDecoder().decode(RunConfig.self, from: $0) }
        let split = folder.appendingPathComponent("split.json").path
        (model, metadata, data, splitFile) = (classifier.model, classifier.metadata, config?.data ?? classifier.preparation,
                                              FileManager.default.fileExists(atPath: split) ? split : nil)
    }
}
