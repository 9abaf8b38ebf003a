import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// A parsed XML element, small enough to query in tests: the charts and the report must be
/// well-formed XML, and counting their elements checks what was drawn.
final class ParsedElement {
    let name: String
    let attributes: [String: String]
    var children: [ParsedElement] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    /// This element and all below it, in document order.
    var descendants: [ParsedElement] { [self] + children.flatMap(\.descendants) }

    /// All elements named `name` at or below this one.
    func all(_ name: String) -> [ParsedElement] { descendants.filter { $0.name == name } }

    /// All elements whose `class` attribute contains `cssClass`.
    func all(class cssClass: String) -> [ParsedElement] {
        descendants.filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cssClass)) }
    }

    /// The text of this element and all below it, without the line breaks between elements.
    var allText: String {
        (text + children.map(\.allText).joined()).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func number(_ attribute: String) -> Double? { attributes[attribute].flatMap(Double.init) }

    /// The points of a `<polyline>`.
    var points: [(x: Double, y: Double)] {
        (attributes["points"] ?? "").split(separator: " ").map {
            let pair = $0.split(separator: ",").map { Double($0)! }
            return (pair[0], pair[1])
        }
    }
}

struct XMLParseFailure: Error, CustomStringConvertible {
    var description: String
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [ParsedElement] = []
    var root: ParsedElement?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        let element = ParsedElement(name: name, attributes: attributes)
        stack.last?.children.append(element)
        if root == nil { root = element }
        stack.append(element)
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }
}

/// Parses `document` strictly, failing with the parser's message and line when it is not
/// well-formed XML.
func parseXML(_ document: String) throws -> ParsedElement {
    let parser = XMLParser(data: Data(document.utf8))
    let builder = TreeBuilder()
    parser.delegate = builder
    guard parser.parse(), let root = builder.root else {
        let line = parser.lineNumber
        let lines = document.split(separator: "\n", omittingEmptySubsequences: false)
        let context = line > 0 && line <= lines.count ? String(lines[line - 1].prefix(200)) : ""
        throw XMLParseFailure(description:
            "not well-formed XML at line \(line): \(parser.parserError.map { "\($0)" } ?? "unknown error") — \(context)")
    }
    return root
}

/// `a` and `b` agree to within `tolerance` (SVG coordinates are rounded to two decimals).
func close(_ a: Double, _ b: Double, tolerance: Double = 0.006) -> Bool {
    abs(a - b) <= tolerance
}
