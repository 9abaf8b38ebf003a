/// Collects SVG elements and wraps them in a standalone `<svg>` document.
///
/// Every attribute value and text goes through `Markup.escape`, so callers can pass user text
/// (class names, series names) straight in. Styling is written as presentation attributes rather
/// than CSS classes: the same SVG must look right as a standalone file and inlined in the HTML
/// report, and several charts inlined in one page must not share ids or style rules.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var parts: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Adds an element with `attributes` (nil values are left out) and optional text content.
    mutating func element(_ name: String, _ attributes: [(String, String?)], text: String? = nil) {
        var tag = "<" + name
        for (key, value) in attributes {
            guard let value else { continue }
            tag += " \(key)=\"\(Markup.escape(value))\""
        }
        if let text {
            tag += ">" + Markup.escape(text) + "</\(name)>"
        } else {
            tag += "/>"
        }
        parts.append(tag)
    }

    /// Opens a `<g>` group; close it with `endGroup()`.
    mutating func beginGroup(_ attributes: [(String, String?)]) {
        var tag = "<g"
        for (key, value) in attributes {
            guard let value else { continue }
            tag += " \(key)=\"\(Markup.escape(value))\""
        }
        parts.append(tag + ">")
    }

    mutating func endGroup() { parts.append("</g>") }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String,
                       width: Double = 1, dash: String? = nil, cssClass: String? = nil) {
        element("line", [("class", cssClass),
                         ("x1", Markup.coordinate(x1)), ("y1", Markup.coordinate(y1)),
                         ("x2", Markup.coordinate(x2)), ("y2", Markup.coordinate(y2)),
                         ("stroke", stroke), ("stroke-width", Markup.coordinate(width)),
                         ("stroke-dasharray", dash)])
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       stroke: String? = nil, cssClass: String? = nil) {
        element("rect", [("class", cssClass),
                         ("x", Markup.coordinate(x)), ("y", Markup.coordinate(y)),
                         ("width", Markup.coordinate(max(0, width))),
                         ("height", Markup.coordinate(max(0, height))),
                         ("fill", fill), ("stroke", stroke)])
    }

    mutating func circle(cx: Double, cy: Double, r: Double, fill: String, cssClass: String? = nil) {
        element("circle", [("class", cssClass), ("cx", Markup.coordinate(cx)),
                           ("cy", Markup.coordinate(cy)), ("r", Markup.coordinate(r)), ("fill", fill)])
    }

    /// A polyline through `points`; consecutive points that round to the same coordinates are
    /// written once, which shrinks dense curves (ROC, per-batch loss) without changing the picture.
    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2,
                           dash: String? = nil, cssClass: String? = nil) {
        var coordinates: [String] = []
        var last = ""
        for point in points {
            let pair = Markup.coordinate(point.x) + "," + Markup.coordinate(point.y)
            if pair != last { coordinates.append(pair) }
            last = pair
        }
        element("polyline", [("class", cssClass), ("points", coordinates.joined(separator: " ")),
                             ("fill", "none"), ("stroke", stroke),
                             ("stroke-width", Markup.coordinate(width)),
                             ("stroke-linejoin", "round"), ("stroke-linecap", "round"),
                             ("stroke-dasharray", dash)])
    }

    enum Anchor: String { case start, middle, end }

    /// Text at (x, y) on its baseline, optionally rotated about that point by `rotate` degrees.
    mutating func text(_ content: String, x: Double, y: Double, anchor: Anchor = .start,
                       size: Double = 12, weight: String? = nil, fill: String = Palette.text,
                       rotate: Double? = nil, cssClass: String? = nil) {
        let transform = rotate.map {
            "rotate(\(Markup.coordinate($0)) \(Markup.coordinate(x)) \(Markup.coordinate(y)))"
        }
        element("text", [("class", cssClass), ("x", Markup.coordinate(x)), ("y", Markup.coordinate(y)),
                         ("text-anchor", anchor == .start ? nil : anchor.rawValue),
                         ("font-size", Markup.coordinate(size)), ("font-weight", weight),
                         ("fill", fill), ("transform", transform)],
                text: content)
    }

    /// The complete document. `title` becomes the SVG `<title>`, which screen readers announce
    /// and browsers show as a tooltip.
    func document(title: String) -> String {
        let w = Markup.coordinate(width), h = Markup.coordinate(height)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" "
        svg += "viewBox=\"0 0 \(w) \(h)\" role=\"img\" aria-label=\"\(Markup.escape(title))\" "
        svg += "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif\">\n"
        svg += "<title>\(Markup.escape(title))</title>\n"
        svg += "<rect class=\"background\" width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>\n"
        svg += parts.joined(separator: "\n")
        svg += "\n</svg>"
        return svg
    }
}
