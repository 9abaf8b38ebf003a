/// One named line of a `LineChart`: y values against x values.
public struct LineSeries: Sendable, Equatable {
    /// The name shown in the legend ("training loss").
    public var name: String
    /// The horizontal positions, one per point.
    public var x: [Double]
    /// The vertical positions, one per x value; NaN or infinity leaves a gap.
    public var y: [Double]
    /// The palette colour (an index), when it must not follow the series' position: the same colour for the
    /// training and validation lines of one learning rate, say.
    public var colour: Int?
    /// Draws the line dashed (validation beside a solid training line); nil follows the series' position.
    public var dashed: Bool?

    /// A series of (x[i], y[i]) points. NaN or infinite values leave a gap in the line.
    public init(name: String, x: [Double], y: [Double], colour: Int? = nil, dashed: Bool? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.colour = colour
        self.dashed = dashed
    }

    /// The stroke colour and dash of this series at position `index` of its chart.
    func stroke(at index: Int) -> (colour: String, dash: String?) {
        (Palette.colour(colour ?? index), dashed.map { $0 ? "6 3" : nil } ?? Palette.dash(index))
    }

    /// A series over epochs 1, 2, 3, … — the usual shape of a training history.
    public init(name: String, y: [Double]) {
        self.init(name: name, x: y.indices.map { Double($0 + 1) }, y: y)
    }
}

/// A labelled vertical line across a `LineChart`, such as the learning rate a finder suggests.
public struct VerticalMarker: Sendable, Equatable {
    /// Where the line crosses the x axis, in data units.
    public var x: Double
    /// The text beside the top of the line.
    public var label: String

    /// - Parameters:
    ///   - x: where the line crosses the x axis, in data units.
    ///   - label: text written beside the top of the line ("suggested lr 3e-3").
    public init(x: Double, label: String) {
        self.x = x
        self.label = label
    }
}

/// A chart of one or more lines over shared x and y axes, written as SVG: training and validation
/// loss per epoch, accuracy per epoch, or loss against learning rate on a logarithmic x axis.
///
/// Axes start and end on "nice" ticks (1-2-5 steps, or powers of ten on logarithmic axes) with
/// gridlines at every tick. Points where x or y is NaN or infinite break the line into separate
/// pieces, so a diverged epoch shows as a gap rather than a spike to nowhere. Series with few points
/// also get a dot at every point, so single epochs can be read off.
public struct LineChart: Sendable {
    /// The heading above the plot; empty for none.
    public let title: String
    /// The label under the x axis.
    public let xLabel: String
    /// The label beside the y axis.
    public let yLabel: String
    /// The lines, in drawing and legend order.
    public let series: [LineSeries]
    /// Linear or logarithmic spacing of the x axis.
    public let xScale: AxisScale
    /// Linear or logarithmic spacing of the y axis.
    public let yScale: AxisScale
    /// The labelled vertical line, if any.
    public let marker: VerticalMarker?
    /// The SVG width in pixels.
    public let width: Double
    /// The SVG height in pixels.
    public let height: Double

    /// Series with at most this many finite points get a dot at every point.
    static let markerLimit = 30

    /// Checks the data and builds the chart.
    ///
    /// - Parameters:
    ///   - title: the heading drawn above the plot; empty for none.
    ///   - xLabel: the label under the x axis ("epoch", "learning rate").
    ///   - yLabel: the label beside the y axis ("loss").
    ///   - series: the lines, drawn and listed in the legend in this order.
    ///   - xScale: `.log` for quantities spanning decades, such as learning rates 1e-7…10.
    ///   - yScale: `.log` for losses that fall over several decades.
    ///   - marker: an optional labelled vertical line.
    ///   - width: the SVG width in pixels.
    ///   - height: the SVG height in pixels.
    /// - Throws: `ReportError.invalidData` naming the series when there are no series, a series has
    ///   different numbers of x and y values, no points, no finite points, or a zero or negative
    ///   value on a logarithmic axis; or when the marker lies off a logarithmic axis.
    public init(title: String, xLabel: String, yLabel: String, series: [LineSeries],
                xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                marker: VerticalMarker? = nil, width: Double = 640, height: Double = 400) throws {
        guard !series.isEmpty else {
            throw ReportError.invalidData("line chart \"\(title)\" has no series to draw")
        }
        for s in series {
            try Self.validate(s, xScale: xScale, yScale: yScale)
        }
        if let marker {
            guard marker.x.isFinite, xScale == .linear || marker.x > 0 else {
                throw ReportError.invalidData(
                    "marker \"\(marker.label)\" is at x = \(marker.x); it needs a finite"
                        + (xScale == .log ? ", positive x on the logarithmic x axis" : " x"))
            }
        }
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
        self.yScale = yScale
        self.marker = marker
        self.width = width
        self.height = height
    }

    private static func validate(_ s: LineSeries, xScale: AxisScale, yScale: AxisScale) throws {
        let name = "series \"\(s.name)\""
        guard s.x.count == s.y.count else {
            throw ReportError.invalidData("\(name) has \(s.x.count) x values but \(s.y.count) y values")
        }
        guard !s.x.isEmpty else { throw ReportError.invalidData("\(name) has no points") }
        guard zip(s.x, s.y).contains(where: { $0.isFinite && $1.isFinite }) else {
            throw ReportError.invalidData("\(name) has no finite points: all \(s.x.count) are NaN or infinite")
        }
        for (axis, values, scale) in [("x", s.x, xScale), ("y", s.y, yScale)] where scale == .log {
            if let i = values.firstIndex(where: { $0.isFinite && $0 <= 0 }) {
                throw ReportError.invalidData(
                    "\(name) has \(axis) = \(values[i]) at index \(i), but the \(axis) axis is logarithmic and needs positive values")
            }
        }
    }

    /// The runs of consecutive finite points of `series`; each run is drawn as one polyline, or as
    /// a lone dot when it has a single point.
    static func segments(of series: LineSeries) -> [[(x: Double, y: Double)]] {
        var runs: [[(x: Double, y: Double)]] = []
        var current: [(x: Double, y: Double)] = []
        for (x, y) in zip(series.x, series.y) {
            if x.isFinite && y.isFinite {
                current.append((x, y))
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// The axes' ticks and the plot rectangle, shared by `svg` and the tests.
    func frame() -> (x: AxisTicks, y: AxisTicks, plot: PlotArea) {
        let points = series.flatMap { Self.segments(of: $0).joined() }
        var xs = points.map(\.x)
        if let marker { xs.append(marker.x) }
        let ys = points.map(\.y)
        let xTicks = AxisTicks(data: xs.min()!...xs.max()!, kind: xScale, target: 6,
                               integral: xs.allSatisfy { $0 == $0.rounded() })
        let yTicks = AxisTicks(data: ys.min()!...ys.max()!, kind: yScale, target: 5)
        let plot = PlotFrame.layout(width: width, height: height, hasTitle: !title.isEmpty,
                                    yTickLabels: yTicks.labels, legendNames: series.map(\.name))
        return (xTicks, yTicks, plot)
    }

    /// The chart as a standalone SVG document with `width`, `height` and a matching `viewBox`.
    public var svg: String {
        let (xTicks, yTicks, plot) = frame()
        let xPixels = xTicks.scale(from: plot.left, to: plot.right)
        let yPixels = yTicks.scale(from: plot.bottom, to: plot.top)
        var canvas = SVGCanvas(width: width, height: height)
        PlotFrame.drawTitle(&canvas, title, plot: plot)
        PlotFrame.drawGrid(&canvas, plot: plot, x: xTicks, y: yTicks, xScale: xPixels, yScale: yPixels)
        PlotFrame.drawAxes(&canvas, plot: plot, x: xTicks, y: yTicks, xScale: xPixels, yScale: yPixels,
                           xLabel: xLabel, yLabel: yLabel)

        for (index, s) in series.enumerated() {
            let (colour, dash) = s.stroke(at: index)
            let runs = Self.segments(of: s)
            let showDots = runs.reduce(0) { $0 + $1.count } <= Self.markerLimit
            canvas.beginGroup([("class", "series")])
            for run in runs {
                let pixels = run.map { (x: xPixels($0.x), y: yPixels($0.y)) }
                if run.count > 1 {
                    canvas.polyline(pixels, stroke: colour, dash: dash, cssClass: "series-line")
                }
                if showDots || run.count == 1 {
                    for p in pixels {
                        canvas.circle(cx: p.x, cy: p.y, r: 3, fill: colour, cssClass: "series-marker")
                    }
                }
            }
            canvas.endGroup()
        }

        if let marker {
            let px = xPixels(marker.x)
            canvas.beginGroup([("class", "marker-line")])
            canvas.line(x1: px, y1: plot.top, x2: px, y2: plot.bottom, stroke: "#444444", width: 1.5, dash: "5 4")
            // The label goes on whichever side of the line has room for it.
            let labelWidth = Markup.estimatedWidth(marker.label, fontSize: PlotFrame.tickSize)
            let fitsRight = px + 5 + labelWidth <= plot.right
            canvas.text(marker.label, x: fitsRight ? px + 5 : px - 5, y: plot.top + 14,
                        anchor: fitsRight ? .start : .end, size: PlotFrame.tickSize, fill: "#333333")
            canvas.endGroup()
        }

        let entries = series.enumerated().map {
            let (colour, dash) = $1.stroke(at: $0)
            return LegendEntry(name: $1.name, colour: colour, dash: dash)
        }
        PlotFrame.drawLegend(&canvas, entries, plot: plot, maxWidth: width * 0.38)
        return canvas.document(title: title.isEmpty ? yLabel : title)
    }
}
