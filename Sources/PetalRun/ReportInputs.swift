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
        /// The crop as the network saw it, and its Grad-CAM overlay (PNG files in the run folder).
        var thumbnail: String?
        var gradCAM: String?
        /// Cross-entropy of the true class (top losses).
        var loss: Double?
    }

    /// Writes the grids, `predictions.json` (with thumbnails and Grad-CAM overlays) and `top-losses.json` (the
    /// validation images with the highest loss, from `evaluation`); each part that fails is reported
    /// through `log` and skipped.
    /// Grad-CAM overlays need an `ImageClassifier`; the predictions of another model are shown without them.
    static func write(folder: RunFolder, prepared: PreparedData, model: Module, evaluation: Evaluation, log: (String) -> Void) {
        func attempt(_ what: String, _ body: () throws -> Void) {
            do { try body() } catch { log("warning: the report's \(what) was left out: \(error.localizedDescription)") }
        }
        let names = prepared.train.classNames
        let full = { (relative: String) in prepared.folder.file(relative) }
        let validation = prepared.validation.samples
        let config = prepared.train.config
        attempt("sample crops") {
            // Up to 4 validation crops per class, as the network sees them.
            var samples = ImageGrid(columns: 8)
            for label in names.indices {
                for s in validation.filter({ $0.label == label }).prefix(4) {
                    if let x = try? ImageInput.tensor(from: full(s.path), config: config) { samples.add(try InputPicture.image(of: x)) }
                }
            }
            if samples.count > 0 { try samples.writePNG(to: folder.file("samples.png")) }
        }
        // The inspection grids of the first training image (channels, threshold, morphology, normalisation, affine).
        if let first = prepared.train.samples.first {
            attempt("inspection grids") { var settings = PreviewSettings()
                // Only the draws training made belong in a run's report (none when it does not augment).
                (settings.seed, settings.showsAugmentations) = (config.seed, false)
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
                        grid.add(try InputPicture.image(of: ImageInput.tensor(from: full(train.samples[sample].path), config: config)))
                    }
                    grid.add(try train.preview(sample: sample, epoch: 0, copy: train.doubles ? 1 : 0))
                }
                try grid.writePNG(to: folder.file("augmentations.png"))
            }
        }
        attempt("predictions") {
            // A few images of every class (the validation list is grouped by class).
            let perClass = max(1, 12 / max(names.count, 1))
            let chosen = names.indices.flatMap { label in validation.filter { $0.label == label }.prefix(perClass) }
            var shown: [Shown] = []
            for (i, s) in chosen.enumerated() {
                guard let x = try? ImageInput.tensor(from: full(s.path), config: config) else { continue }
                // Grad-CAM's forward pass gives the probabilities too: one pass per photo, not two.
                let cam = try (model as? ImageClassifier).map { try GradCAM.explain($0, image: x) }
                let p = try cam?.probabilities ?? model.inferring { try model(x).softmax() }.scalars
                let best = p.indices.max { p[$0] < p[$1] }!
                let picture = try InputPicture.image(of: x)
                let thumbnail = "prediction-\(i).png"
                try picture.write(to: folder.file(thumbnail), format: .png)
                var heat: String?
                if let cam {
                    heat = "gradcam-\(i).png"
                    try GradCAM.overlay(cam.heatmap, on: picture.toFloat()).write(to: folder.file(heat!), format: .png)
                }
                shown.append(Shown(path: s.path, truth: names[s.label], predicted: names[best], probability: Double(p[best]),
                                   thumbnail: thumbnail, gradCAM: heat))
            }
            try folder.writeJSON(shown, to: "predictions.json")
        }
        attempt("top losses") {
            try folder.writeJSON(try topLosses(evaluation, validation: validation, names: names, count: 8, folder: folder, picture: { path in
                try InputPicture.image(of: ImageInput.tensor(from: full(path), config: config))
            }), to: "top-losses.json")
        }
    }

    /// fastai's top losses: the validation images with the highest cross-entropy (the most confidently wrong first), with
    /// thumbnails written into `folder`.
    static func topLosses(_ e: Evaluation, validation: [Sample], names: [String], count: Int, folder: RunFolder,
                          picture: (String) throws -> Image<UInt8>) throws -> [Shown] {
        try TopLosses.rank(e, count: count).enumerated().compactMap { rank, entry in
            let i = entry.index
            guard validation.indices.contains(i), let image = try? picture(validation[i].path) else { return nil }
            let thumbnail = "top-loss-\(rank).png"
            try image.write(to: folder.file(thumbnail), format: .png)
            return Shown(path: validation[i].path, truth: names[e.labels[i]], predicted: names[entry.predicted], probability: entry.probability,
                         thumbnail: thumbnail, loss: entry.loss)
        }
    }

}
