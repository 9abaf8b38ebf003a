import Testing
@testable import PetalReport

@Suite struct ROCChartTests {
    let validation = ROCCurve(name: "validation", fpr: [0, 0, 0.1, 0.3, 1], tpr: [0, 0.5, 0.8, 0.95, 1], auc: 0.9123)
    let training = ROCCurve(name: "training", fpr: [0, 0, 1], tpr: [0, 1, 1])

    @Test func aucComesFromTheTrapezoidRuleWhenNotGiven() {
        #expect(training.auc == 1)
        #expect(ROCCurve(name: "chance", fpr: [0, 1], tpr: [0, 1]).auc == 0.5)
        // (0.1·0.65 + 0.2·0.875 + 0.7·0.975) = 0.9225
        #expect(close(ROCCurve(name: "v", fpr: validation.fpr, tpr: validation.tpr).auc, 0.9225, tolerance: 1e-12))
        #expect(validation.auc == 0.9123)
    }

    @Test func legendGivesEachCurveItsAUC() throws {
        let svg = try parseXML(ROCChart(curves: [validation, training]).svg)
        #expect(svg.all(class: "legend-entry").map(\.allText) == ["validation (AUC 0.912)", "training (AUC 1.000)"])
        #expect(svg.all(class: "series-line").count == 2)
        #expect(svg.all(class: "chart-title").map(\.allText) == ["ROC curve"])
        #expect(svg.all(class: "x-label").map(\.allText) == ["false-positive rate"])
    }

    @Test func plotIsSquareWithTheChanceDiagonalCornerToCorner() throws {
        let chart = try ROCChart(curves: [validation], width: 600, height: 420)
        let (ticks, plot) = chart.frame()
        #expect(plot.width == plot.height)
        #expect(ticks.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let svg = try parseXML(chart.svg)
        let diagonal = svg.all(class: "chance")[0].all("line")[0]
        #expect(close(diagonal.number("x1")!, plot.left) && close(diagonal.number("y1")!, plot.bottom))
        #expect(close(diagonal.number("x2")!, plot.right) && close(diagonal.number("y2")!, plot.top))
        // The curve's (0, 0.5) point lies on the left edge, half-way up.
        let points = svg.all(class: "series-line")[0].points
        #expect(close(points[1].x, plot.left) && close(points[1].y, plot.top + plot.height / 2))
        #expect(close(points[4].x, plot.right) && close(points[4].y, plot.top))
    }

    @Test func namesAreEscaped() throws {
        let svg = try parseXML(ROCChart(title: "<ROC> & co", curves: [ROCCurve(name: "a&b", fpr: [0, 1], tpr: [0, 1])]).svg)
        #expect(svg.all(class: "legend-entry").map(\.allText) == ["a&b (AUC 0.500)"])
        #expect(svg.all(class: "chart-title").map(\.allText) == ["<ROC> & co"])
    }

    @Test func errorsNameTheCurve() {
        #expect(throws: ReportError.invalidData("ROC curve \"validation\" has false-positive rate 1.2 at index 1; rates must lie in 0…1")) {
            try ROCChart(curves: [ROCCurve(name: "validation", fpr: [0, 1.2], tpr: [0, 1])])
        }
        #expect(throws: ReportError.invalidData("ROC curve \"validation\" has true-positive rate nan at index 0; rates must lie in 0…1")) {
            try ROCChart(curves: [ROCCurve(name: "validation", fpr: [0, 1], tpr: [.nan, 1])])
        }
        #expect(throws: ReportError.invalidData("ROC curve \"test\" has 2 false-positive rates but 1 true-positive rates")) {
            try ROCChart(curves: [ROCCurve(name: "test", fpr: [0, 1], tpr: [0])])
        }
        #expect(throws: ReportError.invalidData("ROC chart \"ROC curve\" has no curves to draw")) {
            try ROCChart(curves: [])
        }
    }
}
