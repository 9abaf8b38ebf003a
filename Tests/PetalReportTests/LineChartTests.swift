import Foundation
import Testing
@testable import PetalReport

@Suite struct LineChartTests {
    let history = [
        LineSeries(name: "training loss", y: [1.6, 1.1, 0.8, 0.62, 0.5]),
        LineSeries(name: "validation loss", y: [1.4, 1.0, 0.85, 0.8, 0.82]),
    ]

    @Test func svgIsWellFormedWithSizeAndViewBox() throws {
        let chart = try LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", series: history,
                                  width: 700, height: 420)
        let svg = try parseXML(chart.svg)
        #expect(svg.name == "svg")
        #expect(svg.attributes["width"] == "700")
        #expect(svg.attributes["height"] == "420")
        #expect(svg.attributes["viewBox"] == "0 0 700 420")
        #expect(svg.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(svg.all(class: "chart-title").map(\.allText) == ["Loss"])
        #expect(svg.all(class: "x-label").map(\.allText) == ["epoch"])
        #expect(svg.all(class: "y-label").map(\.allText) == ["loss"])
    }

    @Test func oneLineAndOneLegendEntryPerSeriesInDistinctColours() throws {
        let chart = try LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", series: history)
        let svg = try parseXML(chart.svg)
        let lines = svg.all(class: "series-line")
        #expect(lines.count == 2)
        #expect(lines.map { $0.attributes["stroke"] } == ["#0072B2", "#E69F00"])
        #expect(lines.map(\.points.count) == [5, 5])
        let legend = svg.all(class: "legend-entry")
        #expect(legend.map(\.allText) == ["training loss", "validation loss"])
        #expect(legend.map { $0.all("line").first?.attributes["stroke"] } == ["#0072B2", "#E69F00"])
        // Five epochs is short enough to mark every point.
        #expect(svg.all(class: "series-marker").count == 10)
    }

    @Test func ticksAreNiceAndTheAxesEndOnThem() throws {
        let chart = try LineChart(title: "", xLabel: "epoch", yLabel: "loss", series: history)
        let svg = try parseXML(chart.svg)
        // y data 0.5…1.6 → step 0.2, domain 0.4…1.6; x data 1…5 → step 1, domain 1…5.
        #expect(svg.all(class: "y-tick").map(\.allText) == ["0.4", "0.6", "0.8", "1.0", "1.2", "1.4", "1.6"])
        #expect(svg.all(class: "x-tick").map(\.allText) == ["1", "2", "3", "4", "5"])
        // One gridline per tick.
        #expect(svg.all(class: "grid").first?.all("line").count == 12)
    }

    @Test func pointsMapToThePlotCorners() throws {
        let series = LineSeries(name: "accuracy", x: [0, 5, 10], y: [0, 0.5, 1])
        let chart = try LineChart(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy", series: [series])
        let plot = chart.frame().plot
        let points = try parseXML(chart.svg).all(class: "series-line")[0].points
        #expect(points.count == 3)
        #expect(close(points[0].x, plot.left) && close(points[0].y, plot.bottom))
        #expect(close(points[1].x, plot.left + plot.width / 2) && close(points[1].y, plot.top + plot.height / 2))
        #expect(close(points[2].x, plot.right) && close(points[2].y, plot.top))
        #expect(plot.top == 40)
    }

    @Test func nonFinitePointsSplitTheLineIntoSegments() throws {
        let y = [1, 2, .nan, 3, 4, .infinity, 5, 6, 7]
        let series = LineSeries(name: "loss", y: y)
        #expect(LineChart.segments(of: series).map(\.count) == [2, 2, 3])
        let svg = try parseXML(LineChart(title: "", xLabel: "epoch", yLabel: "loss", series: [series]).svg)
        let lines = svg.all(class: "series-line")
        #expect(lines.count == 3)
        #expect(lines.map(\.points.count) == [2, 2, 3])
        #expect(!svg.allText.contains("nan") && !svg.allText.contains("inf"))
    }

    @Test func longSeriesHaveNoMarkersButIsolatedPointsDo() throws {
        var y = (0..<60).map { 1 / Double($0 + 1) }
        y[30] = .nan
        y[32] = .nan  // leaves point 31 on its own
        let svg = try parseXML(LineChart(title: "", xLabel: "step", yLabel: "loss",
                                         series: [LineSeries(name: "loss", y: y)]).svg)
        #expect(svg.all(class: "series-line").map(\.points.count) == [30, 27])
        #expect(svg.all(class: "series-marker").count == 1)
    }

    @Test func logXAxisForTheLearningRateFinder() throws {
        let rates = (0...80).map { pow(10, -7 + Double($0) / 10) }  // 1e-7 … 10
        let loss = rates.map { 2.3 - 0.3 * log10($0 * 1e7) / 8 + ($0 > 1 ? 5 : 0) }
        let chart = try LineChart(title: "Learning-rate finder", xLabel: "learning rate", yLabel: "loss",
                                  series: [LineSeries(name: "loss", x: rates, y: loss)], xScale: .log,
                                  marker: VerticalMarker(x: 3e-3, label: "suggested lr 3e-3"))
        let svg = try parseXML(chart.svg)
        #expect(svg.all(class: "x-tick").map(\.allText)
                == ["1e-7", "1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10"])
        let (xTicks, _, plot) = chart.frame()
        #expect(xTicks.domain == 1e-7...10)
        // 3e-3 is log10(3e-3) + 7 = 4.477 of 8 decades across the plot.
        let marker = svg.all(class: "marker-line")[0]
        let expected = plot.left + plot.width * (log10(3e-3) + 7) / 8
        #expect(close(marker.all("line")[0].number("x1")!, expected))
        #expect(marker.all("text").map(\.allText) == ["suggested lr 3e-3"])
    }

    @Test func logYAxisTicksAtPowersOfTen() throws {
        let svg = try parseXML(LineChart(title: "", xLabel: "epoch", yLabel: "loss",
                                         series: [LineSeries(name: "loss", y: [2, 0.3, 0.02, 0.0013])],
                                         yScale: .log).svg)
        #expect(svg.all(class: "y-tick").map(\.allText) == ["0.001", "0.01", "0.1", "1", "10"])
    }

    @Test func textIsEscaped() throws {
        let chart = try LineChart(title: "a < b & \"c\"", xLabel: "<x>", yLabel: "y's",
                                  series: [LineSeries(name: "<b>&", y: [1, 2])])
        #expect(chart.svg.contains("&lt;b&gt;&amp;"))
        let svg = try parseXML(chart.svg)
        #expect(svg.all(class: "legend-entry").map(\.allText) == ["<b>&"])
        #expect(svg.all(class: "chart-title").map(\.allText) == ["a < b & \"c\""])
        #expect(svg.all("title").map(\.allText) == ["a < b & \"c\""])
    }

    @Test func longLegendNamesAreShortenedToFitBesideThePlot() throws {
        let name = String(repeating: "validation loss with label smoothing ", count: 3)
        let chart = try LineChart(title: "", xLabel: "", yLabel: "", series: [LineSeries(name: name, y: [1, 2])],
                                  width: 640)
        let text = try parseXML(chart.svg).all(class: "legend-entry")[0].allText
        // 0.38 × 640 px minus the 28 px swatch, at 7.2 px per character, is 29 characters.
        #expect(text == String(name.prefix(28)) + "…")
        #expect(close(chart.frame().plot.right, 640 - 16 - 0.38 * 640, tolerance: 1e-9))
    }

    @Test func seriesBeyondThePaletteAreDashed() throws {
        let many = (0..<9).map { LineSeries(name: "run \($0)", y: [Double($0), Double($0) + 1]) }
        let lines = try parseXML(LineChart(title: "", xLabel: "", yLabel: "", series: many).svg).all(class: "series-line")
        #expect(lines.count == 9)
        #expect(Set(lines.prefix(8).map { $0.attributes["stroke"]! }).count == 8)
        #expect(lines[8].attributes["stroke"] == lines[0].attributes["stroke"])
        #expect(lines[0].attributes["stroke-dasharray"] == nil)
        #expect(lines[8].attributes["stroke-dasharray"] == "6 3")
    }

    @Test func errorsNameTheSeries() {
        #expect(throws: ReportError.invalidData("series \"validation\" has no points")) {
            try LineChart(title: "", xLabel: "", yLabel: "", series: [history[0], LineSeries(name: "validation", y: [])])
        }
        #expect(throws: ReportError.invalidData("series \"validation\" has no finite points: all 2 are NaN or infinite")) {
            try LineChart(title: "", xLabel: "", yLabel: "", series: [LineSeries(name: "validation", y: [.nan, .infinity])])
        }
        #expect(throws: ReportError.invalidData("series \"lr\" has x = 0.0 at index 0, but the x axis is logarithmic and needs positive values")) {
            try LineChart(title: "", xLabel: "", yLabel: "", series: [LineSeries(name: "lr", x: [0, 1], y: [1, 2])], xScale: .log)
        }
        #expect(throws: ReportError.invalidData("series \"loss\" has y = -1.0 at index 1, but the y axis is logarithmic and needs positive values")) {
            try LineChart(title: "", xLabel: "", yLabel: "", series: [LineSeries(name: "loss", y: [1, -1])], yScale: .log)
        }
        #expect(throws: ReportError.invalidData("series \"loss\" has 3 x values but 2 y values")) {
            try LineChart(title: "", xLabel: "", yLabel: "", series: [LineSeries(name: "loss", x: [1, 2, 3], y: [1, 2])])
        }
        #expect(throws: ReportError.invalidData("line chart \"Loss\" has no series to draw")) {
            try LineChart(title: "Loss", xLabel: "", yLabel: "", series: [])
        }
        #expect(throws: ReportError.invalidData("marker \"lr\" is at x = 0.0; it needs a finite, positive x on the logarithmic x axis")) {
            try LineChart(title: "", xLabel: "", yLabel: "", series: [LineSeries(name: "loss", x: [1, 2], y: [1, 2])],
                          xScale: .log, marker: VerticalMarker(x: 0, label: "lr"))
        }
    }

    /// A diverged run's history can hold values near the largest Double (issue 31, item 4): the chart is drawn, at the
    /// display limit, instead of trapping in the tick arithmetic.
    @Test func extremeValuesAreDrawnNotTrappedOn() throws {
        for values in [[0.5, 1.7e308], [-1.7e308, 1.7e308], [.greatestFiniteMagnitude, 1, .nan], [4.9e-324, 1e-320],
                       [0, 4.9e-324], [-4.9e-324, 0, .infinity]] {  // a span of one subnormal: found by `make fuzz`
            let chart = try LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [LineSeries(name: "loss", y: values)])
            let svg = try parseXML(chart.svg)
            let ticks = chart.frame().y.values
            #expect(svg.name == "svg" && !ticks.isEmpty && ticks.allSatisfy(\.isFinite), "\(values): ticks \(ticks)")
            #expect(!chart.svg.contains("inf") && !chart.svg.contains("nan"), "\(values)")
        }
        // On a logarithmic axis, a subnormal loss (found by `make fuzz`: the axis started at 10⁻³²⁴, which is 0).
        for values in [[4.9e-324, 0.5], [4.9e-324, 1e-320], [1e-310, 1.7e308]] {
            let chart = try LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [LineSeries(name: "loss", y: values)], yScale: .log)
            let ticks = chart.frame().y.values
            #expect(try parseXML(chart.svg).name == "svg" && !ticks.isEmpty && ticks.allSatisfy { $0 > 0 && $0.isFinite }, "\(values): ticks \(ticks)")
        }
        let bars = try BarChart(title: "Sizes", labels: ["a", "b"], values: [-1.7e308, 1.7e308])
        #expect(try parseXML(bars.svg).name == "svg")
    }
}
