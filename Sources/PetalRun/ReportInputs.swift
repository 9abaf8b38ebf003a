// What a training run saves for its report besides history and checkpoints: image grids of the data and
// the augmentation, and the best model's predictions on a few validation images. These re-read photos from the
// data set, which may have changed since training: a photo that cannot be read now is left out with a warning,
// and never costs the run its report.
import Foundation
import PetalData
import PetalImage
import PetalNN
import PetalTensor

enum ReportInputs {
    /// One shown prediction (predictions.json).
    struct Shown: Codable {
        var path: String
        var truth: String
        var predicted: String
        var probability: Double
    }

    /// Writes the grids and `predictions.json`; each part that fails is reported through `log` and skipped.
    static func write(folder: RunFolder, prepared: PreparedData, model: Module, log: (String) -> Void) {
        func attempt(_ what: String, _ body: () throws -> Void) {
            do { try body() } catch { log("warning: the report's \(what) was left out: \(error.localizedDescription)") }
        }
        let names = prepared.train.classNames
        let full = { (relative: String) in prepared.folder.path(relative) }
        let validation = prepared.validation.samples
        let config = prepared.train.config
        attempt("sample crops") {
            // Up to 4 validation crops per class, as the network sees them.
            var samples = ImageGrid(columns: 8)
            for label in names.indices {
                for s in validation.filter({ $0.label == label }).prefix(4) {
                    if let x = try? ImageInput.tensor(fromFile: full(s.path), config: config) { samples.add(try displayable(x)) }
                }
            }
            if samples.count > 0 { try samples.writePNG(toFile: folder.file("samples.png").path) }
        }
        // The inspection grids of the first training image (channels, threshold, morphology, normalisation, affine).
        if let first = prepared.train.samples.first {
            attempt("inspection grids") { var settings = PreviewSettings()
                settings.seed = config.seed
                _ = try ImagePreviews.write(image: full(first.path), into: folder.url, settings: settings) }
        }
        // Augmentation exactly as training draws it in epoch 0 (each draw is a function of the seed, epoch and sample):
        // each original beside its augmented version, so the picture shows what augmentation does.
        let train = prepared.train
        if train.augments {
            attempt("augmentations") {
                var grid = ImageGrid(columns: 8)
                for sample in 0..<min(train.samples.count, 8) {
                    if train.doubles { grid.add(try train.preview(sample: sample, epoch: 0, copy: 0)) } else {
                        grid.add(try displayable(ImageInput.tensor(fromFile: full(train.samples[sample].path), config: config)))
                    }
                    grid.add(try train.preview(sample: sample, epoch: 0, copy: train.doubles ? 1 : 0))
                }
                try grid.writePNG(toFile: folder.file("augmentations.png").path)
            }
        }
        attempt("predictions") {
            // A few images of every class (the validation list is grouped by class).
            let perClass = max(1, 12 / max(names.count, 1))
            let chosen = names.indices.flatMap { label in validation.filter { $0.label == label }.prefix(perClass) }
            var shown: [Shown] = []
            for s in chosen {
                guard let x = try? ImageInput.tensor(fromFile: full(s.path), config: config) else { continue }
                let p = try model.predictProbabilities(x).scalars
                let best = p.indices.max { p[$0] < p[$1] }!
                shown.append(Shown(path: s.path, truth: names[s.label], predicted: names[best], probability: Double(p[best])))
            }
            try folder.writeJSON(shown, to: "predictions.json")
        }
    }

    /// A [1, 3, h, w] input tensor back to an 8-bit image (undoing mean/std by rescaling to its range).
    static func displayable(_ x: Tensor) throws -> Image<UInt8> {
        let (h, w) = (x.shape[2], x.shape[3])
        let v = x.scalars
        let lo = v.min() ?? 0, hi = v.max() ?? 1
        let inUnitRange = lo >= 0 && hi <= 1
        var pixels = [UInt8](repeating: 0, count: h * w * 3)
        for c in 0..<3 {
            for i in 0..<(h * w) {
                let f = inUnitRange ? v[c * h * w + i] : (v[c * h * w + i] - lo) / max(hi - lo, 1e-6)
                pixels[i * 3 + c] = UInt8(max(0, min(255, (f * 255).rounded())))
            }
        }
        return try Image(height: h, width: w, channels: 3, pixels: pixels)
    }
}
