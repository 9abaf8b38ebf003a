import Testing
@testable import PetalReport

@Suite struct BarChartTests {
    let classes = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]
    let images: [Double] = [633, 898, 641, 699, 799]

    @Test func oneBarPerLabelWithItsValuePrinted() throws {
        let svg = try parseXML(BarChart(title: "Images per class", yLabel: "images", labels: classes, values: images).svg)
        #expect(svg.all(class: "bar").count == 5)
        #expect(svg.all(class: "bar-value").map(\.allText) == ["633", "898", "641", "699", "799"])
        #expect(svg.all(class: "bar-label").map(\.allText) == classes)
        // 898 + 8 % headroom → ticks every 200 up to 1000.
        #expect(svg.all(class: "y-tick").map(\.allText) == ["0", "200", "400", "600", "800", "1000"])
    }

    @Test func barHeightsAreProportionalAndStandOnZero() throws {
        let chart = try BarChart(title: "", labels: classes, values: images)
        let (yTicks, plot, _) = chart.frame()
        #expect(yTicks.domain == 0...1000)
        let bars = try parseXML(chart.svg).all(class: "bar")
        for (bar, value) in zip(bars, images) {
            #expect(close(bar.number("y")! + bar.number("height")!, plot.bottom))
            #expect(close(bar.number("height")!, plot.height * value / 1000, tolerance: 0.01))
        }
        // Bars are evenly spaced: centres one slot apart.
        let centres = bars.map { $0.number("x")! + $0.number("width")! / 2 }
        #expect(close(centres[1] - centres[0], plot.width / 5, tolerance: 0.01))
    }

    @Test func valuesArePrintedShort() {
        #expect(BarChart.valueText(633) == "633")
        #expect(BarChart.valueText(0.91234) == "0.912")
        #expect(BarChart.valueText(12.345) == "12.3")
        #expect(BarChart.valueText(-2.5) == "-2.50")
    }

    @Test func negativeBarsHangBelowZero() throws {
        let chart = try BarChart(title: "", labels: ["up", "down"], values: [2, -1])
        let (yTicks, plot, _) = chart.frame()
        let zero = yTicks.scale(from: plot.bottom, to: plot.top)(0)
        let bars = try parseXML(chart.svg).all(class: "bar")
        #expect(close(bars[0].number("y")! + bars[0].number("height")!, zero))
        #expect(close(bars[1].number("y")!, zero))
    }

    @Test func labelsAreEscaped() throws {
        let svg = try parseXML(BarChart(title: "", labels: ["<b>&"], values: [3]).svg)
        #expect(svg.all(class: "bar-label").map(\.allText) == ["<b>&"])
    }

    @Test func errorsNameTheBar() {
        #expect(throws: ReportError.invalidData("bar \"roses\" of bar chart \"Counts\" has value nan; bars need finite values")) {
            try BarChart(title: "Counts", labels: ["daisy", "roses"], values: [1, .nan])
        }
        #expect(throws: ReportError.invalidData("bar chart \"Counts\" has 2 labels but 1 values")) {
            try BarChart(title: "Counts", labels: ["daisy", "roses"], values: [1])
        }
        #expect(throws: ReportError.invalidData("bar chart \"Counts\" has no bars")) {
            try BarChart(title: "Counts", labels: [], values: [])
        }
    }
}
