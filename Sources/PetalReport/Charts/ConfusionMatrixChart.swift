import Foundation

/// A confusion matrix drawn as a heat map, written as SVG: true classes down the rows, predicted
/// classes across the columns, the count written in every cell.
///
/// Cells are shaded by their share of the row (the fraction of that true class predicted as the
/// column's class), not by raw count, so that a small class's mistakes are as visible as a large
/// one's; the diagonal then reads directly as per-class recall. Counts are written in dark text on
/// light cells and white text on dark ones.
public struct ConfusionMatrixChart: Sendable {
    /// The heading above the matrix; empty for none.
    public let title: String
    /// The class of each row and column, in order.
    public let classNames: [String]
    /// `counts[t][p]`: how many examples of true class `t` were predicted as class `p`.
    public let counts: [[Int]]
    /// Whether each cell also shows its percentage of the row.
    public let showsRowPercentages: Bool
    /// The requested SVG width in pixels; a matrix of many classes gets wider so cells stay legible.
    public let width: Double

    static let labelSize = 12.0

    /// Checks the matrix and builds the chart.
    ///
    /// - Parameters:
    ///   - title: the heading drawn above the matrix; empty for none.
    ///   - classNames: one name per class, in the order of the matrix's rows and columns.
    ///   - counts: an n×n matrix; `counts[t][p]` counts true class `t` predicted as `p`.
    ///   - showsRowPercentages: also write each cell's share of its row under the count.
    ///   - width: the SVG width in pixels, widened when the classes need more room; the height
    ///     follows from the number of classes.
    /// - Throws: `ReportError.invalidData` when there are no classes, the names do not match the
    ///   matrix size, a row has the wrong length (the row's class is named), or a count is negative.
    public init(title: String = "Confusion matrix", classNames: [String], counts: [[Int]],
                showsRowPercentages: Bool = false, width: Double = 560) throws {
        let n = counts.count
        guard n > 0 else { throw ReportError.invalidData("confusion matrix \"\(title)\" has no rows") }
        guard classNames.count == n else {
            throw ReportError.invalidData(
                "confusion matrix \"\(title)\" has \(n) rows but \(classNames.count) class names")
        }
        for (t, row) in counts.enumerated() {
            guard row.count == n else {
                throw ReportError.invalidData(
                    "confusion matrix row \(t) (true class \"\(classNames[t])\") has \(row.count) counts; expected \(n), one per class")
            }
            if let p = row.firstIndex(where: { $0 < 0 }) {
                throw ReportError.invalidData(
                    "confusion matrix cell (true \"\(classNames[t])\", predicted \"\(classNames[p])\") is \(row[p]); counts cannot be negative")
            }
        }
        self.title = title
        self.classNames = classNames
        self.counts = counts
        self.showsRowPercentages = showsRowPercentages
        self.width = width
    }

    /// The grid's position and cell size, plus whether column names are slanted to fit.
    struct Layout {
        var left: Double
        var top: Double
        var cell: Double
        var slantedColumns: Bool
        var width: Double
        var height: Double
    }

    func layout() -> Layout {
        let n = Double(classNames.count)
        let widest = classNames.map { Markup.estimatedWidth($0, fontSize: Self.labelSize) }.max() ?? 0
        let top = title.isEmpty ? 14.0 : 40.0
        let left = 12 + Self.labelSize + 12 + widest + 8
        let cell = min(96, max(18, (width - left - 16) / n))
        let slanted = widest > cell - 6
        // Slanted names hang down by about their width × sin 40°.
        let columnLabels = slanted ? widest * 0.65 + 14 : Self.labelSize + 10
        let bottom = 8 + columnLabels + 8 + Self.labelSize + 12
        return Layout(left: left, top: top, cell: cell, slantedColumns: slanted,
                      width: max(width, left + n * cell + 16), height: top + n * cell + bottom)
    }

    /// The fill of a cell whose row share is `fraction` (0…1), from near-white to dark blue.
    ///
    /// Three stops of ColorBrewer's sequential "Blues" scheme (Harrower & Brewer 2003), which stays
    /// ordered for colour-blind readers and in greyscale.
    static func fill(_ fraction: Double) -> (hex: String, luminance: Double) {
        let stops: [(Double, Double, Double)] = [(247, 251, 255), (107, 174, 214), (8, 48, 107)]
        let t = min(1, max(0, fraction.isFinite ? fraction : 0)) * 2
        let i = min(1, Int(t))
        let f = t - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        let r = a.0 + (b.0 - a.0) * f, g = a.1 + (b.1 - a.1) * f, bl = a.2 + (b.2 - a.2) * f
        let hex = String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(bl.rounded()))
        return (hex, relativeLuminance(r, g, bl))
    }

    /// WCAG 2 relative luminance of an sRGB colour given in 0…255 channels.
    static func relativeLuminance(_ r: Double, _ g: Double, _ b: Double) -> Double {
        func linear(_ c: Double) -> Double {
            let s = c / 255
            return s <= 0.03928 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// The text colour with more contrast on a background of `luminance`: white on dark cells.
    ///
    /// 0.179 is where white and black text have equal WCAG contrast ratio.
    static func textColour(onLuminance luminance: Double) -> String {
        luminance > 0.179 ? "#111111" : "#ffffff"
    }

    /// The chart as a standalone SVG document with a width and height fitted to the classes and a
    /// matching `viewBox`.
    public var svg: String {
        let n = classNames.count
        let l = layout()
        var canvas = SVGCanvas(width: l.width, height: l.height)
        let gridSize = Double(n) * l.cell
        if !title.isEmpty {
            canvas.text(title, x: l.left, y: 24, size: PlotFrame.titleSize, weight: "600", cssClass: "chart-title")
        }
        let countSize = min(15, max(8, l.cell * 0.26))
        canvas.beginGroup([("class", "cells")])
        for t in 0..<n {
            let rowTotal = counts[t].reduce(0, +)
            for p in 0..<n {
                let count = counts[t][p]
                let share = rowTotal > 0 ? Double(count) / Double(rowTotal) : 0
                let (hex, luminance) = Self.fill(share)
                let x = l.left + Double(p) * l.cell, y = l.top + Double(t) * l.cell
                canvas.rect(x: x, y: y, width: l.cell, height: l.cell, fill: hex, stroke: "#ffffff", cssClass: "cell")
                let colour = Self.textColour(onLuminance: luminance)
                let centreY = y + l.cell / 2
                let percentage = showsRowPercentages && rowTotal > 0
                canvas.text(String(count), x: x + l.cell / 2, y: centreY + countSize * (percentage ? -0.05 : 0.35),
                            anchor: .middle, size: countSize, weight: t == p ? "600" : nil, fill: colour,
                            cssClass: "count")
                if percentage {
                    canvas.text(Markup.fixed(share * 100, decimals: 1) + "%", x: x + l.cell / 2,
                                y: centreY + countSize * 1.05, anchor: .middle, size: countSize * 0.75,
                                fill: colour, cssClass: "percentage")
                }
            }
        }
        canvas.endGroup()

        canvas.beginGroup([("class", "axes")])
        for (i, name) in classNames.enumerated() {
            let rowY = l.top + (Double(i) + 0.5) * l.cell
            canvas.text(name, x: l.left - 8, y: rowY + Self.labelSize * 0.35, anchor: .end,
                        size: Self.labelSize, cssClass: "row-label")
            let columnX = l.left + (Double(i) + 0.5) * l.cell
            let labelY = l.top + gridSize + 8 + Self.labelSize
            if l.slantedColumns {
                canvas.text(name, x: columnX, y: labelY, anchor: .end, size: Self.labelSize, rotate: -40,
                            cssClass: "column-label")
            } else {
                canvas.text(name, x: columnX, y: labelY, anchor: .middle, size: Self.labelSize,
                            cssClass: "column-label")
            }
        }
        canvas.text("predicted", x: l.left + gridSize / 2, y: l.height - 12, anchor: .middle,
                    size: Self.labelSize, weight: "600", cssClass: "x-label")
        canvas.text("true", x: 12 + Self.labelSize * 0.8, y: l.top + gridSize / 2, anchor: .middle,
                    size: Self.labelSize, weight: "600", rotate: -90, cssClass: "y-label")
        canvas.endGroup()
        return canvas.document(title: title.isEmpty ? "Confusion matrix" : title)
    }
}
