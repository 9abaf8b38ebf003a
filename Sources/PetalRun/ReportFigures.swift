// The charts of the learning-rate experiments, drawn from their results or from the CSV files they left.
import Foundation
import PetalNN
import PetalReport
import PetalTrain

/// Charts of the experiments (sweep and range test), from their results or their CSV files.
enum ReportFigures {
    /// The tutorial's comparison of rates: loss, accuracy (training and validation) and validation ROC AUC per epoch,
    /// one line per rate and side, from `sweep.csv`.
    static func sweep(table: CSVTable) throws -> [LineChart] {
        guard let rates = table.column("learning_rate"), let epochs = table.column("epoch") else {
            throw ReportError.invalidData("sweep.csv lacks learning_rate or epoch")
        }
        var order: [Double] = []
        for r in rates where !order.contains(r) { order.append(r) }
        // One colour per rate; training solid, validation dashed, each rate's pair listed together.
        func series(_ keys: [(key: String, side: String)]) -> [LineSeries] {
            order.enumerated().flatMap { colour, r in
                let rows = rates.indices.filter { rates[$0] == r }
                return keys.compactMap { key, side in
                    table.column(key).map { values in
                        LineSeries(name: "lr \(Float(r))" + (side.isEmpty ? "" : " \(side)"), x: rows.map { epochs[$0] }, y: rows.map { values[$0] },
                                   colour: colour, dashed: side == "validation")
                    }
                }
            }
        }
        let panels: [(String, String, [LineSeries])] = [
            ("Loss per learning rate", "cross-entropy", series([("loss", "training"), ("val_loss", "validation")])),
            ("Accuracy per learning rate", "accuracy", series([("accuracy", "training"), ("val_accuracy", "validation")])),
            ("Validation ROC AUC per learning rate", "AUC", series([("val_auc", "")])),
        ]
        return try panels.filter { !$0.2.isEmpty }.map {
            try LineChart(title: $0.0, xLabel: "epoch", yLabel: $0.1, series: $0.2, yScale: yScale(label: $0.1, $0.2), width: 520, height: 380)
        }
    }

    /// The y axis of a chart labelled `label`: logarithmic for cross-entropy when every value is positive (one spike
    /// would flatten every other line on a linear axis), linear otherwise.
    static func yScale(label: String, _ series: [LineSeries]) -> AxisScale {
        label == "cross-entropy" && series.allSatisfy { $0.y.allSatisfy { !$0.isFinite || $0 > 0 } } ? .log : .linear
    }

    /// The overfit check's curves from `overfit.csv`: loss and accuracy per epoch, training and validation.
    static func overfit(table: CSVTable) throws -> [LineChart] {
        guard let epochs = table.column("epoch") else { throw ReportError.invalidData("overfit.csv lacks epoch") }
        func series(_ pairs: [(String, String)]) -> [LineSeries] {
            pairs.compactMap { key, name in table.column(key).map { LineSeries(name: name, x: epochs, y: $0) } }
        }
        return try [("Overfit check: loss", "cross-entropy", series([("loss", "training"), ("val_loss", "validation")])),
                    ("Overfit check: accuracy", "accuracy", series([("accuracy", "training"), ("val_accuracy", "validation")]))]
            .filter { !$0.2.isEmpty }.map {
                try LineChart(title: $0.0, xLabel: "epoch", yLabel: $0.1, series: $0.2, yScale: yScale(label: $0.1, $0.2), width: 520, height: 380)
            }
    }

    /// Charts side by side in one SVG document (each chart a nested `<svg>` placed at its offset).
    static func sideBySide(_ charts: [LineChart]) -> String {
        var x = 0.0, body = ""
        for chart in charts {
            let svg = chart.svg
            let start = svg.range(of: "<svg ")!
            body += svg.replacingCharacters(in: start, with: "<svg x=\"\(x)\" y=\"0\" ") + "\n"
            x += chart.width
        }
        let height = charts.map(\.height).max() ?? 0
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(x)\" height=\"\(height)\" viewBox=\"0 0 \(x) \(height)\">\n" + body + "</svg>\n"
    }

    /// Smoothed loss against the rate (log scale), with the suggested rate marked.
    static func finder(_ result: LearningRateFinderResult) throws -> LineChart {
        try LineChart(title: "Learning-rate range test", xLabel: "learning rate", yLabel: "smoothed loss",
                      series: [LineSeries(name: "loss", x: result.rates.map(Double.init), y: result.losses)], xScale: .log,
                      marker: result.suggestion.map { VerticalMarker(x: Double($0), label: String(format: "suggested %.2g", $0)) })
    }

    /// The same chart from `lr-finder.csv`.
    static func finder(table: CSVTable) throws -> LineChart {
        guard let rates = table.column("learning_rate"), let loss = table.column("smoothed_loss") else {
            throw ReportError.invalidData("lr-finder.csv lacks learning_rate or smoothed_loss")
        }
        return try LineChart(title: "Learning-rate range test", xLabel: "learning rate", yLabel: "smoothed loss",
                             series: [LineSeries(name: "loss", x: rates, y: loss)], xScale: .log)
    }
}

extension LineChart {
    /// Writes the chart as an SVG file, atomically.
    func write(to url: URL) throws { try AtomicFile.write(Data(svg.utf8), to: url) }
}
