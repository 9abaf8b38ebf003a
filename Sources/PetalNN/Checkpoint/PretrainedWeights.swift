// Starting a model from published weights (fine-tuning): PyTorch state dicts as `torch.save` writes them (torchvision's
// `.pth` files, read natively by ``PyTorchCheckpoint``), safetensors files with torchvision's names, or Petal's own
// checkpoints. Every tensor must match the model by name and shape, except the classifier, which is kept fresh when
// the number of classes differs (the usual head swap of transfer learning).
import Foundation

/// Published or earlier weights to start a model from.
public enum PretrainedWeights {
    /// The tensors of a `.pth` / `.pt` PyTorch state dict, or of a `.safetensors` file (torchvision names or Petal's).
    /// - Throws: ``ModelError/checkpoint(path:reason:)`` for an unreadable, foreign or refused file.
    public static func read(_ url: URL) throws -> SafeTensors {
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError { throw ModelError.checkpoint(path: url.path, reason: e.reason) }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || ["pth", "pt"].contains(url.pathExtension.lowercased()) {
            return try PyTorchCheckpoint.read(url, contents: data)
        }
        return try SafeTensors(data: data, source: url.path)
    }

    /// Copies `file`'s tensors into `model`. Tensors named in `classifier` whose shape differs from the model's (another
    /// number of classes) are left as the model initialised them; every other tensor must match by name and shape.
    /// - Returns: the tensors left fresh (empty when the classifier fitted too).
    /// - Throws: ``ModelError/checkpoint(path:reason:)`` listing every missing, unexpected and mis-shaped tensor.
    @discardableResult
    public static func load(_ file: SafeTensors, into model: Module, source: String,
                            classifier: [String] = ["fc.weight", "fc.bias"]) throws -> [String] {
        let mine = Dictionary(model.stateDict.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        var fresh: [String] = []
        var tensors = file.tensors.filter { name, tensor in
            guard classifier.contains(name), let own = mine[name], own.shape != tensor.shape else { return true }
            fresh.append(name)
            return false
        }
        for name in fresh { tensors.append((name, mine[name]!)) }
        try model.load(SafeTensors(tensors: tensors), source: source)
        return fresh
    }
}
