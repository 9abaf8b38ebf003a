import Testing
@testable import PetalReport

@Suite struct ConfusionMatrixChartTests {
    let names = ["daisy", "<b>&", "tulips"]
    let counts = [[40, 8, 2],
                  [5, 90, 5],
                  [0, 0, 0]]

    @Test func oneCellPerPairOfClassesWithItsCount() throws {
        let svg = try parseXML(ConfusionMatrixChart(classNames: names, counts: counts).svg)
        #expect(svg.all(class: "cell").count == 9)
        #expect(svg.all(class: "count").map(\.allText) == ["40", "8", "2", "5", "90", "5", "0", "0", "0"])
        #expect(svg.all(class: "row-label").map(\.allText) == names)
        #expect(svg.all(class: "column-label").map(\.allText) == names)
        #expect(svg.all(class: "x-label").map(\.allText) == ["predicted"])
        #expect(svg.all(class: "y-label").map(\.allText) == ["true"])
        #expect(svg.all(class: "percentage").isEmpty)
    }

    @Test func cellsAreLaidOutRowByRowOnASquareGrid() throws {
        let chart = try ConfusionMatrixChart(classNames: names, counts: counts)
        let layout = chart.layout()
        let cells = try parseXML(chart.svg).all(class: "cell")
        // Row 1 (true "<b>&"), column 2 (predicted "tulips").
        let cell = cells[1 * 3 + 2]
        #expect(close(cell.number("x")!, layout.left + 2 * layout.cell))
        #expect(close(cell.number("y")!, layout.top + 1 * layout.cell))
        #expect(close(cell.number("width")!, layout.cell) && close(cell.number("height")!, layout.cell))
    }

    @Test func rowPercentagesAreOptional() throws {
        let svg = try parseXML(ConfusionMatrixChart(classNames: names, counts: counts, showsRowPercentages: true).svg)
        // The empty third row has no percentages to show.
        #expect(svg.all(class: "percentage").map(\.allText) == ["80.0%", "16.0%", "4.0%", "5.0%", "90.0%", "5.0%"])
    }

    @Test func cellsAreShadedByRowShareWithReadableText() throws {
        #expect(ConfusionMatrixChart.fill(0).hex == "#f7fbff")
        #expect(ConfusionMatrixChart.fill(0.5).hex == "#6baed6")
        #expect(ConfusionMatrixChart.fill(1).hex == "#08306b")
        #expect(ConfusionMatrixChart.textColour(onLuminance: ConfusionMatrixChart.fill(1).luminance) == "#ffffff")
        #expect(ConfusionMatrixChart.textColour(onLuminance: ConfusionMatrixChart.fill(0.05).luminance) == "#111111")
        let svg = try parseXML(ConfusionMatrixChart(classNames: names, counts: counts).svg)
        let cells = svg.all(class: "cell"), texts = svg.all(class: "count")
        // 90 of 100 is dark, so its count is white; 5 of 100 is pale, so its count is dark.
        #expect(cells[4].attributes["fill"] == ConfusionMatrixChart.fill(0.9).hex)
        #expect(texts[4].attributes["fill"] == "#ffffff")
        #expect(texts[3].attributes["fill"] == "#111111")
        // Equal shares get equal colours, whatever the row size: 8 of 50 vs 16 %.
        #expect(cells[1].attributes["fill"] == ConfusionMatrixChart.fill(0.16).hex)
    }

    @Test func longClassNamesAreSlanted() throws {
        let long = ["a very long class name indeed", "short", "another rather long name"]
        let chart = try ConfusionMatrixChart(classNames: long, counts: counts)
        #expect(chart.layout().slantedColumns)
        let labels = try parseXML(chart.svg).all(class: "column-label")
        #expect(labels.allSatisfy { $0.attributes["transform"]?.hasPrefix("rotate(-40 ") == true })
        #expect(try !ConfusionMatrixChart(classNames: ["a", "b", "c"], counts: counts).layout().slantedColumns)
    }

    @Test func manyClassesWidenTheChartSoCellsStayLegible() throws {
        let n = 40
        let names = (0..<n).map { "class \($0)" }
        let identity = (0..<n).map { t in (0..<n).map { $0 == t ? 10 : 0 } }
        let chart = try ConfusionMatrixChart(classNames: names, counts: identity, width: 400)
        let layout = chart.layout()
        #expect(layout.cell == 18)
        #expect(layout.width == layout.left + 40 * 18 + 16)
        let svg = try parseXML(chart.svg)
        #expect(svg.attributes["width"] == Markup.coordinate(layout.width))
        #expect(svg.all(class: "cell").count == n * n)
        let lastCell = svg.all(class: "cell").last!
        #expect(lastCell.number("x")! + lastCell.number("width")! <= layout.width)
    }

    @Test func errorsNameTheProblem() {
        #expect(throws: ReportError.invalidData("confusion matrix row 1 (true class \"roses\") has 1 counts; expected 2, one per class")) {
            try ConfusionMatrixChart(classNames: ["daisy", "roses"], counts: [[1, 2], [3]])
        }
        #expect(throws: ReportError.invalidData("confusion matrix \"Confusion matrix\" has 2 rows but 3 class names")) {
            try ConfusionMatrixChart(classNames: ["a", "b", "c"], counts: [[1, 2], [3, 4]])
        }
        #expect(throws: ReportError.invalidData("confusion matrix cell (true \"a\", predicted \"b\") is -1; counts cannot be negative")) {
            try ConfusionMatrixChart(classNames: ["a", "b"], counts: [[1, -1], [3, 4]])
        }
    }
}
