import Foundation
import PetalFiles

/// Builds one self-contained HTML page: a title, sections of text, tables and figures, with the
/// style sheet, SVG charts and PNG images all embedded, so the single file can be mailed, archived
/// or opened from a run folder without anything beside it.
///
/// Every piece of text is HTML-escaped. The page is also well-formed XML (XHTML syntax), which lets
/// the tests parse it. Consecutive figures share a responsive grid: side by side on a wide screen,
/// stacked on a narrow one.
///
/// ```swift
/// var report = HTMLReport(title: "Flowers: ResNet-18", subtitle: "run 2026-11-29")
/// report.section("Training")
/// report.figure(svg: lossChart.svg, caption: "Loss per epoch")
/// try report.write(to: runFolder.appending(path: "report.html"))
/// ```
public struct HTMLReport: Sendable {
    /// The page title and main heading.
    public let title: String
    /// The line under the heading, if any.
    public let subtitle: String?
    /// When the report was made, if given; written in UTC.
    public let timestamp: Date?
    private var sections: [Section] = []
    /// The smallest width of a gallery tile, in CSS pixels, unless a gallery asks for another.
    public static let galleryTileWidth = 150

    enum Block: Sendable {
        case paragraph(String)
        case summary([(String, String)])
        case table(caption: String?, header: [String], rows: [[String]])
        case figure(markup: String, caption: String?)
        case gallery(items: [(markup: String, caption: String)], caption: String?, tileWidth: Int)
        case panels(markup: String, labels: [String], columns: Int, caption: String?)
        case note(String)
    }

    struct Section: Sendable {
        var heading: String?
        var blocks: [Block] = []
    }

    /// - Parameters:
    ///   - title: the page title and main heading.
    ///   - subtitle: a line under the heading (the run or model); nil for none.
    ///   - timestamp: when the report was made, written in UTC under the heading; nil for none.
    public init(title: String, subtitle: String? = nil, timestamp: Date? = nil) {
        self.title = title
        self.subtitle = subtitle
        self.timestamp = timestamp
    }

    /// Starts a new section; what is added next goes under `heading`.
    public mutating func section(_ heading: String) {
        sections.append(Section(heading: heading))
    }

    /// Adds a paragraph of plain text.
    public mutating func paragraph(_ text: String) {
        append(.paragraph(text))
    }

    /// Adds a two-column table of names and values ("images", "3 670"), in the given order, such as
    /// the data set and training settings of a run.
    public mutating func summary(_ pairs: [(String, String)]) {
        append(.summary(pairs))
    }

    /// Adds a table. Cells that are numbers (or percentages) are right-aligned so digits line up.
    ///
    /// - Parameters:
    ///   - header: the column headings.
    ///   - rows: the cells, row by row; short rows are padded with empty cells.
    ///   - caption: a line above the table; nil for none.
    public mutating func table(header: [String], rows: [[String]], caption: String? = nil) {
        append(.table(caption: caption, header: header, rows: rows))
    }

    /// Adds a chart inline as SVG, with an optional caption.
    public mutating func figure(_ chart: some SVGChart, caption: String? = nil) {
        figure(svg: chart.svg, caption: caption)
    }

    /// Adds an SVG document inline, with an optional caption; an XML declaration before `<svg` is
    /// dropped.
    public mutating func figure(svg: String, caption: String? = nil) {
        append(.figure(markup: Self.inlineSVG(svg), caption: caption))
    }

    /// Adds a PNG (or JPEG) image embedded as a base64 data URI.
    ///
    /// Data that is neither PNG nor JPEG becomes a visible note instead, so a wrong file shows up
    /// in the page rather than as a broken image icon.
    /// - Parameters:
    ///   - data: the encoded image.
    ///   - alt: text for screen readers and for when the image cannot be shown.
    ///   - caption: a line under the image; nil for none.
    public mutating func image(data: Data, alt: String, caption: String? = nil) {
        guard let mime = Self.imageType(of: data) else {
            append(.note("Image \"\(alt)\" was left out: its \(data.count) bytes are not a PNG or JPEG file."))
            return
        }
        let tag = "<img alt=\"\(Markup.escape(alt))\" src=\"data:\(mime);base64,\(data.base64EncodedString())\"/>"
        append(.figure(markup: tag, caption: caption))
    }

    /// Adds the PNG (or JPEG) image at `file`, embedded as a base64 data URI.
    ///
    /// A file that is missing or unreadable becomes a visible note naming the path and the reason,
    /// because a report is often assembled after a run that did not produce every plot, and the
    /// rest of it is still worth reading.
    public mutating func image(file: URL, alt: String? = nil, caption: String? = nil) {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            let reason = FileManager.default.fileExists(atPath: file.path) ? "it could not be read" : "the file does not exist"
            append(.note("Image \(file.path) is missing from this report: \(reason)."))
            return
        }
        image(data: data, alt: alt ?? file.lastPathComponent, caption: caption)
    }

    /// Adds a grid of small pictures, each with its own short caption (thumbnails of predictions, say). Pictures that
    /// are not PNG or JPEG data are left out with a note.
    /// `tileWidth` is the smallest width of a tile in CSS pixels (more tiles share a row on a wider page).
    public mutating func gallery(_ items: [(image: Data, caption: String)], caption: String? = nil, tileWidth: Int = HTMLReport.galleryTileWidth) {
        var tags: [(String, String)] = []
        for (data, text) in items {
            guard let mime = Self.imageType(of: data) else {
                append(.note("A picture of \"\(text)\" was left out: its \(data.count) bytes are not a PNG or JPEG file."))
                continue
            }
            tags.append(("<img alt=\"\(Markup.escape(text))\" src=\"data:\(mime);base64,\(data.base64EncodedString())\"/>", text))
        }
        if !tags.isEmpty { append(.gallery(items: tags, caption: caption, tileWidth: max(40, tileWidth))) }
    }

    /// Adds a picture made of equal panels in `columns` columns (an image grid), at the page's full width, with
    /// `labels[i]` written on panel i (row by row). A file that cannot be read or is not a PNG or JPEG becomes a note.
    public mutating func panels(file: URL, columns: Int, labels: [String], caption: String? = nil) {
        guard let data = try? Data(contentsOf: file), let mime = Self.imageType(of: data) else {
            append(.note("Image \(file.path) is missing from this report: it could not be read as a PNG or JPEG file."))
            return
        }
        let alt = caption ?? file.lastPathComponent
        let tag = "<img alt=\"\(Markup.escape(alt))\" src=\"data:\(mime);base64,\(data.base64EncodedString())\"/>"
        append(.panels(markup: tag, labels: labels, columns: max(1, columns), caption: caption))
    }

    /// Adds a highlighted note, for warnings a reader should not miss.
    public mutating func note(_ text: String) {
        append(.note(text))
    }

    private mutating func append(_ block: Block) {
        if sections.isEmpty { sections.append(Section(heading: nil)) }
        sections[sections.count - 1].blocks.append(block)
    }

    /// The MIME type from the file signature, or nil when the data is neither PNG nor JPEG.
    static func imageType(of data: Data) -> String? {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        return nil
    }

    /// `svg` without an XML declaration or doctype, which are not allowed inside an HTML page.
    static func inlineSVG(_ svg: String) -> String {
        guard let start = svg.range(of: "<svg") else { return svg }
        return String(svg[start.lowerBound...])
    }

    /// Whether `cell` reads as a number ("0.912", "-3", "1 234", "87.5%"), to right-align it.
    static func isNumeric(_ cell: String) -> Bool {
        var text = cell.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: " ", with: "")
            .replacingOccurrences(of: ",", with: "")
        if text.hasSuffix("%") { text.removeLast() }
        return !text.isEmpty && Double(text) != nil
    }

    /// A timestamp written the same way on every machine: "2026-11-29 06:30 UTC".
    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: date)
    }

    /// The complete page.
    public func render() -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(Markup.escape(title))</title>
        <style>
        \(HTMLStyle.css)
        </style>
        </head>
        <body>
        <main>
        <header>
        <h1>\(Markup.escape(title))</h1>

        """
        let byline = [subtitle, timestamp.map(Self.format)].compactMap { $0 }.filter { !$0.isEmpty }
        if !byline.isEmpty {
            html += "<p class=\"subtitle\">\(Markup.escape(byline.joined(separator: " · ")))</p>\n"
        }
        html += "</header>\n"
        for section in sections {
            html += "<section>\n"
            if let heading = section.heading { html += "<h2>\(Markup.escape(heading))</h2>\n" }
            html += Self.render(section.blocks)
            html += "</section>\n"
        }
        html += "</main>\n</body>\n</html>\n"
        return html
    }

    /// The blocks of one section, with each run of consecutive figures wrapped in one grid.
    private static func render(_ blocks: [Block]) -> String {
        var html = ""
        var inGrid = false
        for block in blocks {
            let isFigure: Bool
            if case .figure = block { isFigure = true } else { isFigure = false }
            if isFigure && !inGrid { html += "<div class=\"figures\">\n" }
            if !isFigure && inGrid { html += "</div>\n" }
            inGrid = isFigure
            html += render(block)
        }
        if inGrid { html += "</div>\n" }
        return html
    }

    private static func render(_ block: Block) -> String {
        switch block {
        case .paragraph(let text):
            return "<p>\(Markup.escape(text))</p>\n"
        case .note(let text):
            return "<p class=\"note\">\(Markup.escape(text))</p>\n"
        case .summary(let pairs):
            var html = "<div class=\"table-wrap\"><table class=\"summary\">\n<tbody>\n"
            // Values stay left-aligned beside their names: a mix of "3670" and "224 × 224" in one
            // column reads worse right-aligned.
            for (key, value) in pairs {
                html += "<tr><th scope=\"row\">\(Markup.escape(key))</th><td>\(Markup.escape(value))</td></tr>\n"
            }
            return html + "</tbody>\n</table></div>\n"
        case .table(let caption, let header, let rows):
            var html = "<div class=\"table-wrap\"><table>\n"
            if let caption { html += "<caption>\(Markup.escape(caption))</caption>\n" }
            let columns = max(header.count, rows.map(\.count).max() ?? 0)
            if !header.isEmpty {
                html += "<thead><tr>"
                for i in 0..<columns {
                    html += "<th>\(Markup.escape(i < header.count ? header[i] : ""))</th>"
                }
                html += "</tr></thead>\n"
            }
            html += "<tbody>\n"
            for row in rows {
                html += "<tr>"
                for i in 0..<columns {
                    let cell = i < row.count ? row[i] : ""
                    html += isNumeric(cell) ? "<td class=\"num\">" : "<td>"
                    html += Markup.escape(cell) + "</td>"
                }
                html += "</tr>\n"
            }
            return html + "</tbody>\n</table></div>\n"
        case .gallery(let items, let caption, let tileWidth):
            var html = caption.map { "<p class=\"gallery-caption\">\(Markup.escape($0))</p>\n" } ?? ""
            html += tileWidth == Self.galleryTileWidth ? "<div class=\"gallery\">\n"
                : "<div class=\"gallery\" style=\"grid-template-columns: repeat(auto-fill, minmax(\(tileWidth)px, 1fr))\">\n"
            for (markup, text) in items { html += "<figure>\(markup)<figcaption>\(Markup.escape(text))</figcaption></figure>\n" }
            return html + "</div>\n"
        case .panels(let markup, let labels, let columns, let caption):
            // Each label sits on its panel's top-left corner, placed in percentages of the picture so it stays on
            // its panel at any width.
            let rows = max(1, (labels.count + columns - 1) / columns)
            var html = "<figure class=\"panels\">\n<div class=\"panel-grid\">\(markup)\n"
            for (i, label) in labels.enumerated() {
                let left = Double(i % columns) * 100 / Double(columns), top = Double(i / columns) * 100 / Double(rows)
                html += "<span class=\"panel-label\" style=\"left: \(String(format: "%.3f", left))%; top: \(String(format: "%.3f", top))%\">\(Markup.escape(label))</span>\n"
            }
            html += "</div>\n"
            if let caption { html += "<figcaption>\(Markup.escape(caption))</figcaption>\n" }
            return html + "</figure>\n"
        case .figure(let markup, let caption):
            var html = "<figure>\n\(markup)\n"
            if let caption { html += "<figcaption>\(Markup.escape(caption))</figcaption>\n" }
            return html + "</figure>\n"
        }
    }

    /// Writes the page to `url`, first to a temporary file in the same folder and then renamed over
    /// `url`, so a reader never sees a half-written report and a failed write leaves the old one.
    ///
    /// - Throws: `ReportError.cannotWrite` naming the path when the folder is missing or not
    ///   writable.
    public func write(to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw ReportError.cannotWrite(path: url.path, reason: "the folder \(folder.path) does not exist")
        }
        do { try AtomicFile.write(Data(render().utf8), to: url) } catch let e as FileError {
            throw ReportError.cannotWrite(path: url.path, reason: e.reason)
        }
    }
}
