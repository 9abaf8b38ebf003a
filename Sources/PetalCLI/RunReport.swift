// report.html for a run folder, rebuilt from the files the run left there (history, evaluation, scan,
// image grids, predictions, and a learning-rate sweep or range test when one was written into the folder).
import Foundation
import Petal

struct RunReport {
    let folder: RunFolder

    func write() throws {
        var html = HTMLReport(title: "Petal run — \(folder.url.lastPathComponent)", subtitle: folder.url.path, timestamp: Date())
        let config = (try? Data(contentsOf: folder.file("config.json"))).flatMap { try? JSONDecoder().decode(RunConfig.self, from: $0) }
        let scan = (try? Data(contentsOf: folder.file("scan.json"))).flatMap { try? JSONDecoder().decode(ScanReport.self, from: $0) }
        let evaluation = (try? Data(contentsOf: folder.file("evaluation.json"))).flatMap { try? JSONDecoder().decode(EvaluationSummary.self, from: $0) }
        let history = CSVTable(url: folder.file("history.csv"))

        html.section("Summary")
        var pairs: [(String, String)] = []
        if let config {
            pairs += [("Data", config.dataDir), ("Model", "\(config.model) (\(config.variant), width \(config.width))"),
                      ("Optimizer", "\(config.optimizer), lr \(config.learningRate), momentum \(config.momentum), clip norm \(config.clipNorm)"),
                      ("Epochs", String(config.epochs)), ("Best checkpoint by", config.monitor),
                      ("Crop", "\(config.data.cropHeight)×\(config.data.cropWidth), small images: \(config.data.smallImages.rawValue)"),
                      ("Augmentation", config.data.augmentation == nil ? "off" : (config.data.appendAugmentedCopy ? "on, augmented copy appended to each batch" : "on"))]
        }
        if let evaluation {
            pairs += [("Best model on validation", String(format: "accuracy %.4f · ROC AUC %@ · loss %.4f (%d images)", evaluation.accuracy,
                                                          evaluation.auc.map { String(format: "%.4f", $0) } ?? "undefined", evaluation.loss, evaluation.count))]
        }
        if let h = history, let monitor = config?.monitor, let column = h.column(monitor), let best = column.indices.max(by: { column[$0] < column[$1] }) {
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
        for (file, caption) in [("samples.png", "Validation crops as the network sees them (per class)."),
                                ("channels.png", "A training image and its red, green and blue channels."),
                                ("morphology.png", "Red channel > 125, then erosion, dilation, opening and closing with disk(3)."),
                                ("normalisation.png", "/255, min–max and p5–p95 normalisation."),
                                ("affine.png", "45° rotation, zoom ×2 and ×0.5, translation (50, 50) and 45° shear, about the centre."),
                                ("augmentations.png", "Augmentations: the first training batch exactly as training drew it.")]
        where FileManager.default.fileExists(atPath: folder.file(file).path) {
            html.image(file: folder.file(file), alt: caption, caption: caption)
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
                if !s.isEmpty, let chart = try? LineChart(title: title, xLabel: "epoch", yLabel: label, series: s) { html.figure(svg: chart.svg, caption: "\(title) per epoch.") }
            }
            if let lr = h.column("lr"), let chart = try? LineChart(title: "Learning rate", xLabel: "epoch", yLabel: "learning rate",
                                                                   series: [LineSeries(name: "lr", x: epochs, y: lr)], yScale: lr.allSatisfy { $0 > 0 } ? .log : .linear) {
                html.figure(svg: chart.svg, caption: "The learning rate of each epoch (the schedule).")
            }
        }

        if let sweep = CSVTable(url: folder.file("sweep.csv")), let chart = try? ReportFigures.sweep(table: sweep) {
            html.section("Learning-rate sweep")
            html.figure(svg: chart.svg, caption: "Training loss per epoch for each learning rate (a fresh model per rate).")
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

        if let data = try? Data(contentsOf: folder.file("predictions.json")), let shown = try? JSONDecoder().decode([ReportInputs.Shown].self, from: data) {
            html.section("Predictions")
            html.table(header: ["Image", "True class", "Predicted", "Probability"], rows: shown.map {
                [URL(fileURLWithPath: $0.path).lastPathComponent, $0.truth, $0.predicted + ($0.truth == $0.predicted ? "" : " ✗"), String(format: "%.3f", $0.probability)]
            }, caption: "The best model on the first validation images of each class (✗: wrong).")
        }
        try html.write(to: folder.file("report.html"))
    }
}

/// A CSV file with a header row, read as columns of numbers.
struct CSVTable {
    let header: [String]
    let values: [[Double]]

    init?(url: URL) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let first = lines.first else { return nil }
        header = first
        values = lines.dropFirst().map { $0.map { Double($0) ?? .nan } }
    }

    var rows: Int { values.count }

    func column(_ name: String) -> [Double]? {
        guard let i = header.firstIndex(of: name) else { return nil }
        let c = values.map { i < $0.count ? $0[i] : .nan }
        return c.contains(where: { $0.isFinite }) ? c : nil
    }
}

/// Charts of the experiments (sweep and range test), from their results or their CSV files.
enum ReportFigures {
    static func sweep(_ results: [SweepResult]) throws -> LineChart {
        try LineChart(title: "Learning-rate sweep", xLabel: "epoch", yLabel: "training loss",
                      series: results.map { r in LineSeries(name: "lr \(r.learningRate)", x: (1...max(r.history.epochs.count, 1)).map(Double.init), y: r.history.values("loss")) })
    }

    static func sweep(table: CSVTable) throws -> LineChart {
        guard let rates = table.column("learning_rate"), let epochs = table.column("epoch"), let loss = table.column("loss") else {
            throw ReportError.invalidData("sweep.csv lacks learning_rate, epoch or loss")
        }
        var order: [Double] = []
        for r in rates where !order.contains(r) { order.append(r) }
        return try LineChart(title: "Learning-rate sweep", xLabel: "epoch", yLabel: "training loss", series: order.map { r in
            let rows = rates.indices.filter { rates[$0] == r }
            return LineSeries(name: "lr \(Float(r))", x: rows.map { epochs[$0] }, y: rows.map { loss[$0] })
        })
    }

    static func finder(_ result: LearningRateFinderResult) throws -> LineChart {
        try LineChart(title: "Learning-rate range test", xLabel: "learning rate", yLabel: "smoothed loss",
                      series: [LineSeries(name: "loss", x: result.rates.map(Double.init), y: result.losses)], xScale: .log,
                      marker: result.suggestion.map { VerticalMarker(x: Double($0), label: String(format: "suggested %.2g", $0)) })
    }

    static func finder(table: CSVTable) throws -> LineChart {
        guard let rates = table.column("learning_rate"), let loss = table.column("smoothed_loss") else {
            throw ReportError.invalidData("lr-finder.csv lacks learning_rate or smoothed_loss")
        }
        return try LineChart(title: "Learning-rate range test", xLabel: "learning rate", yLabel: "smoothed loss",
                             series: [LineSeries(name: "loss", x: rates, y: loss)], xScale: .log)
    }
}

extension LineChart {
    func write(to url: URL) throws { try AtomicFile.write(Data(svg.utf8), to: url) }
}
