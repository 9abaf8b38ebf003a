import Foundation

/// Vertical bars with a label under each and its value printed on top, written as SVG: images per
/// class in a data set, or per-class F1 scores.
public struct BarChart: Sendable {
    /// The heading above the bars; empty for none.
    public let title: String
    /// The label under the bar names; empty for none.
    public let xLabel: String
    /// The label beside the value axis.
    public let yLabel: String
    /// The bar names, left to right.
    public let labels: [String]
    /// The bar values, one per name.
    public let values: [Double]
    /// The SVG width in pixels.
    public let width: Double
    /// The SVG height in pixels.
    public let height: Double

    static let labelSize = 12.0

    /// Checks the data and builds the chart.
    ///
    /// - Parameters:
    ///   - title: the heading drawn above the bars; empty for none.
    ///   - xLabel: the label under the bar names ("class"); empty for none.
    ///   - yLabel: the label beside the value axis ("images").
    ///   - labels: one name per bar, left to right.
    ///   - values: one value per bar; negative values hang below the zero line.
    ///   - width: the SVG width in pixels.
    ///   - height: the SVG height in pixels.
    /// - Throws: `ReportError.invalidData` when there are no bars, the labels and values differ in
    ///   number, or a value (named by its label) is NaN or infinite.
    public init(title: String, xLabel: String = "", yLabel: String = "", labels: [String], values: [Double],
                width: Double = 560, height: Double = 360) throws {
        guard !values.isEmpty else { throw ReportError.invalidData("bar chart \"\(title)\" has no bars") }
        guard labels.count == values.count else {
            throw ReportError.invalidData(
                "bar chart \"\(title)\" has \(labels.count) labels but \(values.count) values")
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw ReportError.invalidData("bar \"\(labels[i])\" of bar chart \"\(title)\" has value \(values[i]); bars need finite values")
        }
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.labels = labels
        self.values = values
        self.width = width
        self.height = height
    }

    /// A bar's value as printed on it: whole numbers without decimals (counts), others to about
    /// three significant digits.
    static func valueText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        let magnitude = abs(value)
        return Markup.fixed(value, decimals: magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3)
    }

    /// The value axis ticks, the plot rectangle, and whether bar names are slanted to fit.
    func frame() -> (y: AxisTicks, plot: PlotArea, slanted: Bool) {
        // Bars grow from zero, and 8 % headroom keeps the printed value of the tallest bar inside.
        let low = min(0, values.min()!), high = max(0, values.max()!)
        let pad = (high - low) * 0.08
        let yTicks = AxisTicks(data: (low < 0 ? low - pad : 0)...(high > 0 ? high + pad : 0), kind: .linear)
        var plot = PlotFrame.layout(width: width, height: height, hasTitle: !title.isEmpty,
                                    yTickLabels: yTicks.labels, legendNames: [])
        let slot = plot.width / Double(values.count)
        let widest = labels.map { Markup.estimatedWidth($0, fontSize: Self.labelSize) }.max() ?? 0
        let slanted = widest > slot - 4
        let nameSpace = slanted ? widest * 0.65 + 14 : Self.labelSize + 8
        let bottom = 8 + nameSpace + (xLabel.isEmpty ? 6 : Self.labelSize + 14)
        plot.height = max(40, height - plot.top - bottom)
        return (yTicks, plot, slanted)
    }

    /// The chart as a standalone SVG document with `width`, `height` and a matching `viewBox`.
    public var svg: String {
        let (yTicks, plot, slanted) = frame()
        let yPixels = yTicks.scale(from: plot.bottom, to: plot.top)
        let none = AxisTicks(domain: 0...1, values: [], labels: [])
        let xPixels = none.scale(from: plot.left, to: plot.right)
        var canvas = SVGCanvas(width: width, height: height)
        PlotFrame.drawTitle(&canvas, title, plot: plot)
        PlotFrame.drawGrid(&canvas, plot: plot, x: none, y: yTicks, xScale: xPixels, yScale: yPixels)
        PlotFrame.drawAxes(&canvas, plot: plot, x: none, y: yTicks, xScale: xPixels, yScale: yPixels,
                           xLabel: "", yLabel: yLabel)

        let slot = plot.width / Double(values.count)
        let barWidth = slot * 0.7
        let zero = yPixels(0)
        let valueSize = min(12, max(8, barWidth * 0.35))
        canvas.beginGroup([("class", "bars")])
        for (i, (label, value)) in zip(labels, values).enumerated() {
            let centre = plot.left + (Double(i) + 0.5) * slot
            let top = yPixels(value)
            canvas.rect(x: centre - barWidth / 2, y: min(top, zero), width: barWidth, height: abs(zero - top),
                        fill: Palette.colour(0), cssClass: "bar")
            // Values sit just outside the bar's end: above positive bars, below negative ones.
            let valueY = value >= 0 ? top - 4 : top + valueSize + 2
            canvas.text(Self.valueText(value), x: centre, y: valueY, anchor: .middle, size: valueSize,
                        fill: Palette.text, cssClass: "bar-value")
            let nameY = plot.bottom + 8 + Self.labelSize
            canvas.text(label, x: centre, y: nameY, anchor: slanted ? .end : .middle, size: Self.labelSize,
                        fill: Palette.text, rotate: slanted ? -40 : nil, cssClass: "bar-label")
        }
        canvas.endGroup()
        if !xLabel.isEmpty {
            canvas.text(xLabel, x: plot.left + plot.width / 2, y: height - 10, anchor: .middle,
                        size: PlotFrame.labelSize, cssClass: "x-label")
        }
        return canvas.document(title: title.isEmpty ? yLabel : title)
    }
}
