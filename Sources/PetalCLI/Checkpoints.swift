// Reading a trained model back for evaluate and predict: the checkpoint, its metadata, and the data
// settings of the run folder it came from (so images are prepared exactly as in training).
import Foundation
import Petal

struct LoadedModel {
    let model: ResNet
    let metadata: CheckpointMetadata
    /// The training run's data settings when the checkpoint sits in a run folder, else settings from the metadata.
    let data: DataConfig
    /// The run folder's split, when there is one.
    let splitFile: String?

    init(checkpoint path: String) throws {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationFailure("checkpoint \(path): no such file") }
        let file: SafeTensors
        do { file = try SafeTensors(data: try Data(contentsOf: url), source: path) } catch let e as ModelError { throw e } catch {
            throw ValidationFailure("checkpoint \(path): cannot be read (\(error.localizedDescription))")
        }
        guard let json = file.metadata["petal"], let meta = try? JSONDecoder().decode(CheckpointMetadata.self, from: Data(json.utf8)) else {
            throw ValidationFailure("checkpoint \(path) has no Petal metadata (architecture, classes, input size): was it written by petal train?")
        }
        let model = try meta.makeResNet()
        try model.load(file, source: path)
        model.eval()
        let folder = url.deletingLastPathComponent()
        let config = (try? Data(contentsOf: folder.appendingPathComponent("config.json"))).flatMap { try? JSONDecoder().decode(RunConfig.self, from: $0) }
        var data = config?.data ?? DataConfig(cropHeight: meta.inputSize.first ?? 100, cropWidth: meta.inputSize.last ?? 100)
        if config == nil, meta.normalization == "meanStd", let mean = meta.mean, let std = meta.std { data.normalisation = .meanStd(mean: mean, std: std) }
        let split = folder.appendingPathComponent("split.json").path
        (self.model, metadata, self.data, splitFile) = (model, meta, data, FileManager.default.fileExists(atPath: split) ? split : nil)
    }
}
