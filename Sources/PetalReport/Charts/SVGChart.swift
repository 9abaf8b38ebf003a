/// A chart that writes itself as a standalone SVG document, ready to save as a `.svg` file or to
/// place in an `HTMLReport` with `figure(_:caption:)`.
public protocol SVGChart: Sendable {
    /// The chart as an SVG document with `width`, `height` and a matching `viewBox`.
    var svg: String { get }
}

extension LineChart: SVGChart {}
extension ROCChart: SVGChart {}
extension ConfusionMatrixChart: SVGChart {}
extension BarChart: SVGChart {}
