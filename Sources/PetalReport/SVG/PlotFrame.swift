/// The rectangle inside a chart where data is drawn, in SVG pixels.
struct PlotArea: Equatable {
    var left: Double
    var top: Double
    var width: Double
    var height: Double
    var right: Double { left + width }
    var bottom: Double { top + height }
}

/// One line in a chart legend.
struct LegendEntry {
    var name: String
    var colour: String
    var dash: String?
}

/// The parts shared by the x–y charts (line and ROC): title, gridlines, axes with tick labels and
/// axis labels, and a legend to the right of the plot.
///
/// The legend sits outside the plot, not over it, because training curves fill the whole plot area
/// and any corner may hide the interesting part.
enum PlotFrame {
    static let titleSize = 15.0
    static let labelSize = 12.0
    static let tickSize = 11.0
    static let legendSize = 12.0
    static let legendRowHeight = 18.0
    /// The legend's line sample plus the gap before the name.
    static let legendSwatch = 28.0

    /// Margins sized to the title, the widest y tick label and the legend names.
    static func layout(width: Double, height: Double, hasTitle: Bool, yTickLabels: [String],
                       legendNames: [String]) -> PlotArea {
        let top = hasTitle ? 40.0 : 14.0
        let yTickWidth = yTickLabels.map { Markup.estimatedWidth($0, fontSize: tickSize) }.max() ?? 0
        let left = 12 + labelSize + 10 + yTickWidth + 8
        let bottom = 8 + tickSize + 10 + labelSize + 12.0
        let right = 16 + legendWidth(legendNames, limit: width * 0.38)
        return PlotArea(left: left, top: top, width: max(40, width - left - right),
                        height: max(40, height - top - bottom))
    }

    /// The width the legend needs, capped at `limit` (longer names are shortened with "…").
    static func legendWidth(_ names: [String], limit: Double) -> Double {
        guard !names.isEmpty else { return 0 }
        let widest = names.map { Markup.estimatedWidth($0, fontSize: legendSize) }.max() ?? 0
        return min(limit, legendSwatch + widest)
    }

    static func drawTitle(_ canvas: inout SVGCanvas, _ title: String, plot: PlotArea) {
        guard !title.isEmpty else { return }
        canvas.text(title, x: plot.left, y: 24, size: titleSize, weight: "600", cssClass: "chart-title")
    }

    /// Gridlines at every tick inside the plot, drawn first so data lies on top of them.
    static func drawGrid(_ canvas: inout SVGCanvas, plot: PlotArea, x: AxisTicks, y: AxisTicks,
                         xScale: Scale, yScale: Scale) {
        canvas.beginGroup([("class", "grid")])
        for value in x.values {
            let px = xScale(value)
            canvas.line(x1: px, y1: plot.top, x2: px, y2: plot.bottom, stroke: Palette.grid)
        }
        for value in y.values {
            let py = yScale(value)
            canvas.line(x1: plot.left, y1: py, x2: plot.right, y2: py, stroke: Palette.grid)
        }
        canvas.endGroup()
    }

    /// The bottom and left axis lines, tick marks, tick labels and the two axis labels.
    static func drawAxes(_ canvas: inout SVGCanvas, plot: PlotArea, x: AxisTicks, y: AxisTicks,
                         xScale: Scale, yScale: Scale, xLabel: String, yLabel: String) {
        canvas.beginGroup([("class", "axes")])
        canvas.line(x1: plot.left, y1: plot.bottom, x2: plot.right, y2: plot.bottom, stroke: Palette.axis)
        canvas.line(x1: plot.left, y1: plot.top, x2: plot.left, y2: plot.bottom, stroke: Palette.axis)
        for (value, label) in zip(x.values, x.labels) {
            let px = xScale(value)
            canvas.line(x1: px, y1: plot.bottom, x2: px, y2: plot.bottom + 4, stroke: Palette.axis)
            canvas.text(label, x: px, y: plot.bottom + 8 + tickSize, anchor: .middle, size: tickSize,
                        fill: Palette.mutedText, cssClass: "x-tick")
        }
        for (value, label) in zip(y.values, y.labels) {
            let py = yScale(value)
            canvas.line(x1: plot.left - 4, y1: py, x2: plot.left, y2: py, stroke: Palette.axis)
            canvas.text(label, x: plot.left - 7, y: py + tickSize * 0.35, anchor: .end, size: tickSize,
                        fill: Palette.mutedText, cssClass: "y-tick")
        }
        if !xLabel.isEmpty {
            canvas.text(xLabel, x: plot.left + plot.width / 2, y: plot.bottom + 8 + tickSize + 10 + labelSize,
                        anchor: .middle, size: labelSize, cssClass: "x-label")
        }
        if !yLabel.isEmpty {
            let x = 12 + labelSize * 0.8, y = plot.top + plot.height / 2
            canvas.text(yLabel, x: x, y: y, anchor: .middle, size: labelSize, rotate: -90, cssClass: "y-label")
        }
        canvas.endGroup()
    }

    /// The legend, one row per entry, starting at the plot's top right.
    static func drawLegend(_ canvas: inout SVGCanvas, _ entries: [LegendEntry], plot: PlotArea,
                           maxWidth: Double) {
        canvas.beginGroup([("class", "legend")])
        let x = plot.right + 16
        let maxCharacters = max(4, Int((maxWidth - legendSwatch) / (legendSize * 0.6)))
        for (row, entry) in entries.enumerated() {
            let y = plot.top + 8 + Double(row) * legendRowHeight
            canvas.beginGroup([("class", "legend-entry")])
            canvas.line(x1: x, y1: y, x2: x + 20, y2: y, stroke: entry.colour, width: 2.5, dash: entry.dash)
            canvas.text(shortened(entry.name, to: maxCharacters), x: x + legendSwatch, y: y + legendSize * 0.35,
                        size: legendSize)
            canvas.endGroup()
        }
        canvas.endGroup()
    }

    /// `text` cut to `count` characters with a trailing "…" when it is longer.
    static func shortened(_ text: String, to count: Int) -> String {
        text.count <= count ? text : String(text.prefix(max(1, count - 1))) + "…"
    }
}
