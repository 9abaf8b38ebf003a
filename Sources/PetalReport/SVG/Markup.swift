import Foundation

/// Text escaping and number formatting shared by the SVG and HTML writers.
///
/// Both outputs must stay well-formed XML, because the report is opened in browsers and parsed by
/// the tests with `XMLParser`; a class named "<b>&" or a stray control character from a file name
/// must not break either.
enum Markup {
    /// Escapes `text` for use in XML/HTML text and in double- or single-quoted attribute values.
    ///
    /// Control characters other than tab, newline and carriage return are dropped: XML 1.0 forbids
    /// them even as character references, so keeping them would make the document unparseable.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A coordinate with at most two decimals and no trailing zeros ("12.5", "3", "-0.25").
    ///
    /// Two decimals are a hundredth of a pixel, finer than any screen shows, and keep a
    /// thousand-point ROC curve to a few kilobytes.
    static func coordinate(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == 0 { return "0" }  // also turns -0 into 0
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `value` with `decimals` fixed decimals, never "-0".
    static func fixed(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(max(0, decimals))f", value)
        if text.hasPrefix("-"), Double(text) == 0 { return String(text.dropFirst()) }
        return text
    }

    /// A rough width of `text` in pixels at `fontSize`, for laying out margins and legends.
    ///
    /// SVG has no text measurement without a renderer; 0.6 em per character is the average advance
    /// of common sans-serif fonts, slightly generous so labels are not clipped.
    static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.6
    }
}
