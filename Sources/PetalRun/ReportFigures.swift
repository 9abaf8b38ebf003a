// The charts of the learning-rate experiments, drawn from their results or from the CSV files they left.
import Foundation
import PetalNN
import PetalReport
import PetalTrain

/// Charts of the experiments (sweep and range test), from their results or their CSV files.
public enum ReportFigures {
    /// Training loss per epoch, one line per rate.
    public static func sweep(_ results: [SweepResult]) throws -> LineChart {
        try LineChart(title: "Learning-rate sweep", xLabel: "epoch", yLabel: "training loss",
                      series: results.map { r in LineSeries(name: "lr \(r.learningRate)", x: (1...max(r.history.epochs.count, 1)).map(Double.init), y: r.history.values("loss")) })
    }

    /// The same chart from `sweep.csv`.
    public static func sweep(table: CSVTable) throws -> LineChart {
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

    /// Smoothed loss against the rate (log scale), with the suggested rate marked.
    public static func finder(_ result: LearningRateFinderResult) throws -> LineChart {
        try LineChart(title: "Learning-rate range test", xLabel: "learning rate", yLabel: "smoothed loss",
                      series: [LineSeries(name: "loss", x: result.rates.map(Double.init), y: result.losses)], xScale: .log,
                      marker: result.suggestion.map { VerticalMarker(x: Double($0), label: String(format: "suggested %.2g", $0)) })
    }

    /// The same chart from `lr-finder.csv`.
    public static func finder(table: CSVTable) throws -> LineChart {
        guard let rates = table.column("learning_rate"), let loss = table.column("smoothed_loss") else {
            throw ReportError.invalidData("lr-finder.csv lacks learning_rate or smoothed_loss")
        }
        return try LineChart(title: "Learning-rate range test", xLabel: "learning rate", yLabel: "smoothed loss",
                             series: [LineSeries(name: "loss", x: rates, y: loss)], xScale: .log)
    }
}

extension LineChart {
    /// Writes the chart as an SVG file, atomically.
    public func write(to url: URL) throws { try AtomicFile.write(Data(svg.utf8), to: url) }
}
