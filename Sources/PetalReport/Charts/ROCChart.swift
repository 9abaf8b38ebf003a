import Foundation

/// One receiver-operating-characteristic curve of a `ROCChart`.
public struct ROCCurve: Sendable, Equatable {
    /// The name shown in the legend before the AUC ("validation").
    public var name: String
    /// False-positive rates, in the order the curve is drawn (rising thresholds of exclusion).
    public var fpr: [Double]
    /// True-positive rates, one per false-positive rate.
    public var tpr: [Double]
    /// The area under the curve shown in the legend.
    public var auc: Double

    /// - Parameters:
    ///   - name: the legend name.
    ///   - fpr: false-positive rates in 0…1.
    ///   - tpr: true-positive rates in 0…1, one per false-positive rate.
    ///   - auc: the area under the curve if already known exactly (PetalTrain computes it from
    ///     scores); nil to take the trapezoidal area under the given points.
    public init(name: String, fpr: [Double], tpr: [Double], auc: Double? = nil) {
        self.name = name
        self.fpr = fpr
        self.tpr = tpr
        self.auc = auc ?? Self.trapezoidalArea(fpr: fpr, tpr: tpr)
    }

    /// The area under the polyline through the points, by the trapezoid rule.
    static func trapezoidalArea(fpr: [Double], tpr: [Double]) -> Double {
        guard fpr.count == tpr.count, fpr.count > 1 else { return .nan }
        var area = 0.0
        for i in 1..<fpr.count {
            area += (fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1]) / 2
        }
        return area
    }
}

/// ROC curves on square 0…1 axes, with the diagonal a random classifier would trace, written as SVG.
///
/// The plot area is square so that a curve's bulge towards the top-left corner is not distorted;
/// the legend gives each curve's AUC to three decimals ("validation (AUC 0.912)").
public struct ROCChart: Sendable {
    /// The heading above the plot; empty for none.
    public let title: String
    /// The curves, in drawing and legend order.
    public let curves: [ROCCurve]
    /// The SVG width in pixels.
    public let width: Double
    /// The SVG height in pixels.
    public let height: Double

    /// Checks the curves and builds the chart.
    ///
    /// - Parameters:
    ///   - title: the heading drawn above the plot; empty for none.
    ///   - curves: the curves, drawn and listed in the legend in this order.
    ///   - width: the SVG width in pixels.
    ///   - height: the SVG height in pixels.
    /// - Throws: `ReportError.invalidData` naming the curve when there are no curves, or a curve has
    ///   different numbers of rates, no points, or a rate that is not a finite number in 0…1.
    public init(title: String = "ROC curve", curves: [ROCCurve], width: Double = 560, height: Double = 420) throws {
        guard !curves.isEmpty else {
            throw ReportError.invalidData("ROC chart \"\(title)\" has no curves to draw")
        }
        for curve in curves {
            let name = "ROC curve \"\(curve.name)\""
            guard curve.fpr.count == curve.tpr.count else {
                throw ReportError.invalidData(
                    "\(name) has \(curve.fpr.count) false-positive rates but \(curve.tpr.count) true-positive rates")
            }
            guard !curve.fpr.isEmpty else { throw ReportError.invalidData("\(name) has no points") }
            for (label, rates) in [("false-positive", curve.fpr), ("true-positive", curve.tpr)] {
                if let i = rates.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                    throw ReportError.invalidData(
                        "\(name) has \(label) rate \(rates[i]) at index \(i); rates must lie in 0…1")
                }
            }
        }
        self.title = title
        self.curves = curves
        self.width = width
        self.height = height
    }

    /// The legend text of `curve`: its name and AUC to three decimals.
    static func legendName(_ curve: ROCCurve) -> String {
        curve.auc.isFinite ? "\(curve.name) (AUC \(Markup.fixed(curve.auc, decimals: 3)))" : curve.name
    }

    /// The square plot rectangle and the fixed 0…1 ticks.
    func frame() -> (ticks: AxisTicks, plot: PlotArea) {
        let values = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
        let ticks = AxisTicks(domain: 0...1, values: values, labels: values.map { Markup.fixed($0, decimals: 1) })
        var plot = PlotFrame.layout(width: width, height: height, hasTitle: !title.isEmpty,
                                    yTickLabels: ticks.labels, legendNames: curves.map(Self.legendName))
        let side = min(plot.width, plot.height)
        // Centre the square and its legend in the width the square does not use.
        plot.left += (plot.width - side) / 2
        plot.width = side
        plot.height = side
        return (ticks, plot)
    }

    /// The chart as a standalone SVG document with `width`, `height` and a matching `viewBox`.
    public var svg: String {
        let (ticks, plot) = frame()
        let xPixels = ticks.scale(from: plot.left, to: plot.right)
        let yPixels = ticks.scale(from: plot.bottom, to: plot.top)
        var canvas = SVGCanvas(width: width, height: height)
        PlotFrame.drawTitle(&canvas, title, plot: plot)
        PlotFrame.drawGrid(&canvas, plot: plot, x: ticks, y: ticks, xScale: xPixels, yScale: yPixels)
        PlotFrame.drawAxes(&canvas, plot: plot, x: ticks, y: ticks, xScale: xPixels, yScale: yPixels,
                           xLabel: "false-positive rate", yLabel: "true-positive rate")

        canvas.beginGroup([("class", "chance")])
        canvas.line(x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.top, stroke: "#999999",
                    width: 1.2, dash: "5 4")
        // Written along the diagonal (the axes are equal, so it runs at exactly 45°).
        canvas.text("chance", x: plot.left + plot.width * 0.72, y: plot.bottom - plot.height * 0.72 + 14,
                    anchor: .middle, size: PlotFrame.tickSize, fill: "#888888", rotate: -45)
        canvas.endGroup()

        for (index, curve) in curves.enumerated() {
            let pixels = zip(curve.fpr, curve.tpr).map { (x: xPixels($0), y: yPixels($1)) }
            canvas.beginGroup([("class", "series")])
            if pixels.count == 1 {
                canvas.circle(cx: pixels[0].x, cy: pixels[0].y, r: 3, fill: Palette.colour(index),
                              cssClass: "series-marker")
            } else {
                canvas.polyline(pixels, stroke: Palette.colour(index), dash: Palette.dash(index),
                                cssClass: "series-line")
            }
            canvas.endGroup()
        }

        let entries = curves.enumerated().map {
            LegendEntry(name: Self.legendName($1), colour: Palette.colour($0), dash: Palette.dash($0))
        }
        PlotFrame.drawLegend(&canvas, entries, plot: plot, maxWidth: width * 0.38)
        return canvas.document(title: title.isEmpty ? "ROC curve" : title)
    }
}
