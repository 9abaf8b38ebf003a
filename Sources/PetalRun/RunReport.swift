// report.html for a run folder, rebuilt from the files the run left there (history, evaluation, scan,
// image grids, predictions, and a learning-rate sweep or range test when one was written into the folder).
import Foundation
import PetalData
import PetalReport
import PetalTrain

/// Builds `report.html` for a run folder from the files in it (so it can be rebuilt at any time, e.g. after a
/// learning-rate sweep was written into the folder).
public struct RunReport {
    /// The folder read and written.
    public let folder: RunFolder

    /// A report of `folder`.
    public init(folder: RunFolder) { self.folder = folder }

    /// How the report names a run's augmentation.
    private func augmentationSummary(_ data: DataConfig) -> String {
        guard let p = data.augmentation else { return "off" }
        func number(_ v: Double) -> String { String(format: "%g", v) }
        var parts: [String] = []
        if p.rotationRange > 0 { parts.append("rotation ±\(number(p.rotationRange))°") }
        if let scale = p.randomResizedCrop {
            parts.append("random-resized crops of \(Int((scale.lowerBound * 100).rounded()))–\(Int((scale.upperBound * 100).rounded())) % of the area")
        } else {
            if p.widthShiftRange > 0 || p.heightShiftRange > 0 {
                parts.append(p.widthShiftRange == p.heightShiftRange ? "shift ±\(number(p.widthShiftRange))"
                             : "shift ±\(number(p.widthShiftRange)) across, ±\(number(p.heightShiftRange)) down")
            }
            if p.zoomRange != 1...1 { parts.append("zoom \(number(p.zoomRange.lowerBound))–\(number(p.zoomRange.upperBound))") }
        }
        if p.shearRange > 0 { parts.append("shear ±\(number(p.shearRange))°") }
        let flips = [p.horizontalFlip ? "left ↔ right" : nil, p.verticalFlip ? "top ↔ bottom" : nil].compactMap { $0 }
        parts.append(flips.isEmpty ? "no flips" : "flips " + flips.joined(separator: " and "))
        if let b = p.brightnessRange { parts.append("brightness ×\(number(b.lowerBound))–\(number(b.upperBound))") }
        parts.append(p.fillMode == .constant ? "fill constant \(number(Double(p.cval)))" : "fill \(p.fillMode.rawValue)")
        if data.appendAugmentedCopy { parts.append("augmented copy appended to each batch") }
        return parts.joined(separator: ", ")
    }

    /// Writes `report.html`, showing whatever the folder holds.
    public func write() throws {
        var html = HTMLReport(title: "Petal run — \(folder.url.lastPathComponent)", subtitle: folder.url.path, timestamp: Date())
        let config = try? folder.readJSON(RunConfiguration.self, from: RunFiles.configuration)
        let scan = try? folder.readJSON(ScanReport.self, from: RunFiles.scan)
        let evaluation = try? folder.readJSON(EvaluationSummary.self, from: RunFiles.evaluation)
        let history = CSVTable(url: folder.file("history.csv"))

        html.section("Summary")
        var pairs: [(String, String)] = []
        if let config {
            let (m, o) = (config.model, config.optimizer)
            pairs += [("Data", config.customData ?? config.dataDirectory.path),
                      ("Model", config.customModel ?? m.modelDescription),
                      ("Recipe", config.recipeDescription),
                      ("Optimizer", "\(o.kind.rawValue), lr \(o.learningRate), momentum \(o.momentum), weight decay \(o.weightDecay), clip norm \(o.clipNorm), schedule \(config.schedule.description)"),
                      ("Epochs", String(config.epochs)), ("Best checkpoint by", config.monitor),
                      ("Crop", config.data.cropDescription),
                      ("Augmentation", augmentationSummary(config.data))]
        }
        if let evaluation {
            pairs += [("Best model on validation", String(format: "accuracy %.4f · ROC AUC %@ · loss %.4f (%d images)", evaluation.accuracy,
                                                          evaluation.auc.map { String(format: "%.4f", $0) } ?? "undefined", evaluation.loss, evaluation.count))]
        }
        if let h = history, let monitor = config?.monitor, let column = h.column(monitor), let best = (config?.monitorMode == .min ? column.indices.min(by: { column[$0] < column[$1] }) : column.indices.max(by: { column[$0] < column[$1] })) {
            pairs.append(("Best epoch", "\(best + 1) of \(column.count) (\(monitor) \(String(format: "%.4f", column[best])))"))
        }
        html.summary(pairs)

        if let scan {
            html.section("Data set")
            html.figure(svg: try BarChart(title: "Usable images per class", labels: scan.classNames, values: scan.usableCounts.map(Double.init)).svg,
                        caption: "Images that decoded and are at least as large as the crop.")
            let problems = scan.skipped.map { [$0.path, $0.reason] }
            if problems.isEmpty { html.paragraph("Every file decoded; no image was smaller than the crop.") } else {
                html.table(header: ["Skipped file", "Reason"], rows: problems, caption: "Files left out at scan time.")
            }
            if !scan.leaks.isEmpty {
                html.table(header: ["Identical files", "Classes", "Across the split"], rows: scan.leaks.map { [$0.paths.joined(separator: ", "), $0.classes.joined(separator: ", "), $0.acrossSplit ? "yes" : "no"] },
                           caption: "Duplicates that leak between classes or between training and validation.")
            }
        }

        html.section("Samples")
        if FileManager.default.fileExists(atPath: folder.file("samples.png").path) {
            html.image(file: folder.file("samples.png"), alt: "samples", caption: "Validation crops as the network sees them (per class).")
        }
        let augmentationLabels = Array(repeating: ["crop", "augmented"], count: 8).flatMap { $0 }
        for (file, columns, labels, caption) in [
            ("channels.png", 4, ["photo", "red", "green", "blue"], "A training image and its red, green and blue channels."),
            ("morphology.png", 6, ["red > 125", "Otsu's threshold", "erosion", "dilation", "opening", "closing"],
             "The red channel above 125 and above Otsu's threshold, then erosion, dilation, opening and closing of the first with disk(3)."),
            ("normalisation.png", 3, ["/255", "min–max", "p5–p95"], "The three normalisations of the tutorial."),
            ("flips.png", 3, ["original", "np.fliplr", "np.flipud"], "The original, mirrored left ↔ right and top ↔ bottom."),
            ("affine.png", 4, ["original", "rotation 45°", "scale (2, 2)", "scale (0.5, 0.5)", "translation (50, 50)", "shear 45°", "brightness ×0.999"],
             "The tutorial's affine pictures. As in the tutorial, each matrix is scikit-image's warp input, the inverse map (output pixel → input pixel), about the tutorial's centre (height/2, width/2) as (x, y): scale (2, 2) zooms out. Shear follows scikit-image 0.26 (tan θ), not the older sin/cos form of the notebook's time."),
            ("augmentations.png", 8, augmentationLabels, "Augmentation as training draws it in epoch 0: each training crop (left) beside its augmented version (right).")]
        where FileManager.default.fileExists(atPath: folder.file(file).path) {
            html.panels(file: folder.file(file), columns: columns, labels: labels, caption: caption)
        }

        if let h = history, h.rows > 0 {
            html.section("Training")
            let epochs = (1...h.rows).map(Double.init)
            func series(_ keys: [(String, String)]) -> [LineSeries] {
                keys.compactMap { key, name in h.column(key).map { LineSeries(name: name, x: epochs, y: $0) } }
            }
            for (title, keys, label) in [("Loss", [("loss", "training"), ("val_loss", "validation")], "cross-entropy"),
                                         ("Accuracy", [("accuracy", "training"), ("val_accuracy", "validation")], "accuracy"),
                                         ("ROC AUC", [("val_auc", "validation")], "AUC")] {
                let s = series(keys)
                if !s.isEmpty, let chart = try? LineChart(title: title, xLabel: "epoch", yLabel: label, series: s,
                                                                    yScale: ReportFigures.yScale(label: label, s)) { html.figure(svg: chart.svg, caption: "\(title) per epoch.") }
            }
            if let lr = h.column("lr"), let chart = try? LineChart(title: "Learning rate", xLabel: "epoch", yLabel: "learning rate",
                                                                   series: [LineSeries(name: "lr", x: epochs, y: lr)], yScale: lr.allSatisfy { $0 > 0 } ? .log : .linear) {
                html.figure(svg: chart.svg, caption: "The learning rate of each epoch (the schedule).")
            }
        }

        if let comparison = try? folder.readJSON(RunComparison.self, from: RunComparison.fileName) {
            html.section("Comparison with other runs")
            html.paragraph(comparison.sameValidationImages
                           ? "Every run below was validated on the same images, so their figures compare directly."
                           : "These runs were not validated on the same images (or a run has no split.json): compare their figures with care.")
            let table = comparison.table
            html.table(header: table.header, rows: table.rows, caption: "The best checkpoint of each run on its validation split.")
            for chart in (try? comparison.charts()) ?? [] { html.figure(svg: chart.svg, caption: "\(chart.title) per epoch, one line per run.") }
        }

        if let sweep = CSVTable(url: folder.file("sweep.csv")), let charts = try? ReportFigures.sweep(table: sweep), !charts.isEmpty {
            html.section("Learning-rate sweep")
            for chart in charts {
                html.figure(svg: chart.svg, caption: "\(chart.title): a fresh model per rate, the same initial weights (the tutorial's comparison).")
            }
        }
        if let verdict = try? folder.readJSON(OverfitVerdict.self, from: OverfitFiles.verdict),
           let table = CSVTable(url: folder.file(OverfitFiles.history)), let charts = try? ReportFigures.overfit(table: table) {
            html.section("Overfit check")
            html.paragraph(verdict.summary.prefix(1).uppercased() + verdict.summary.dropFirst()
                           + " (\(verdict.imagesDescription) training images per class, \(verdict.epochs) epochs, no augmentation). A model that cannot memorise a few images has a bug; validation accuracy is expected to plateau.")
            for chart in charts { html.figure(svg: chart.svg, caption: "\(chart.title) per epoch on the small subset.") }
        }
        if let finder = CSVTable(url: folder.file("lr-finder.csv")), let chart = try? ReportFigures.finder(table: finder) {
            html.section("Learning-rate range test")
            html.figure(svg: chart.svg, caption: "Smoothed loss while the rate rises exponentially over one pass.")
        }

        if let evaluation {
            html.section("Best model on the validation split")
            let curves = evaluation.rocCurves.map { ROCCurve(name: $0.name, fpr: $0.fpr, tpr: $0.tpr, auc: $0.auc) }
            if !curves.isEmpty { html.figure(svg: try ROCChart(title: "ROC curve", curves: curves).svg, caption: "ROC curve of the best checkpoint.") }
            html.figure(svg: try ConfusionMatrixChart(title: "Confusion matrix", classNames: evaluation.classes, counts: evaluation.confusionMatrix,
                                                      showsRowPercentages: true).svg, caption: "Rows: true class; columns: predicted class.")
            html.table(header: ["Class", "Precision", "Recall", "F1"], rows: evaluation.classes.indices.map {
                [evaluation.classes[$0], String(format: "%.3f", evaluation.precision[$0]), String(format: "%.3f", evaluation.recall[$0]), String(format: "%.3f", evaluation.f1[$0])]
            })
        }

        if let shown = try? folder.readJSON([ReportInputs.Shown].self, from: "predictions.json") {
            html.section("Predictions")
            html.gallery(gallery(shown) { "\($0.truth) → \($0.predicted)\($0.truth == $0.predicted ? "" : " ✗") · \(String(format: "%.3f", $0.probability))" },
                         caption: "The best model on the first validation images of each class: true class → predicted class (✗ when wrong) and its probability.")
            let heat = shown.compactMap { s in s.gradCAM.map { ReportInputs.Shown(path: s.path, truth: s.truth, predicted: s.predicted, probability: s.probability, thumbnail: $0) } }
            html.gallery(gallery(heat) { "\($0.truth) → \($0.predicted)\($0.truth == $0.predicted ? "" : " ✗") · \(String(format: "%.3f", $0.probability))" },
                         caption: "Where the network looked (Grad-CAM of the predicted class over the last stage): the warmer and more opaque the colour, the stronger the evidence; the photo shows through where there is none.",
                         tileWidth: 230)
        }
        if let top = try? folder.readJSON([ReportInputs.Shown].self, from: "top-losses.json"), !top.isEmpty {
            html.section("Highest losses")
            html.gallery(gallery(top) { "\($0.truth) → \($0.predicted)\($0.truth == $0.predicted ? "" : " ✗") \(String(format: "%.2f", $0.probability)) · loss \(String(format: "%.2f", $0.loss ?? .nan))" },
                         caption: "The validation images with the highest loss (fastai's top losses), highest first: true class → predicted class (✗ when wrong), its probability and the loss. Right answers appear when few images are wrong: they are the least confident ones.")
        }
        try html.write(to: folder.file(RunFiles.report))
    }

    /// The pictures of `items` that exist in the folder, each with its caption.
    private func gallery(_ items: [ReportInputs.Shown], caption: (ReportInputs.Shown) -> String) -> [(image: Data, caption: String)] {
        items.compactMap { item in item.thumbnail.flatMap { try? FileSystem.read(folder.file($0).path) }.map { ($0, caption(item)) } }
    }
}
