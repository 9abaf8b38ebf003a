import Foundation
import Testing
@testable import PetalReport

@Suite struct HTMLReportTests {
    /// The eight-byte PNG signature followed by an IHDR chunk's start: enough for the type check.
    let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1])

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("petal-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    func sampleReport() throws -> HTMLReport {
        var report = HTMLReport(title: "Flowers <v2> & co", subtitle: "ResNet-18 on tf_flowers",
                                timestamp: Date(timeIntervalSince1970: 0))
        report.section("Data")
        report.paragraph("3 670 photos in 5 classes; 20 % held out for validation.")
        report.summary([("images", "3670"), ("classes", "5"), ("model", "ResNet-18")])
        report.section("Training")
        let loss = try LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss",
                                 series: [LineSeries(name: "training", y: [1.2, 0.8, 0.6])])
        report.figure(svg: loss.svg, caption: "Loss per epoch")
        report.figure(svg: "<?xml version=\"1.0\"?>\n" + loss.svg, caption: "Again, with a declaration")
        report.paragraph("Between the grids.")
        report.figure(loss)
        report.section("Evaluation")
        report.table(header: ["class", "precision", "recall"],
                     rows: [["daisy", "0.912", "87.5%"], ["<b>&", "0.8"]], caption: "Per class")
        return report
    }

    @Test func pageIsWellFormedXHTMLWithTheExpectedStructure() throws {
        let html = try parseXML(sampleReport().render())
        #expect(html.name == "html")
        #expect(html.all("title").first?.allText == "Flowers <v2> & co")
        #expect(html.all("h1").map(\.allText) == ["Flowers <v2> & co"])
        #expect(html.all(class: "subtitle").map(\.allText) == ["ResNet-18 on tf_flowers · 1970-01-01 00:00 UTC"])
        #expect(html.all("section").count == 3)
        #expect(html.all("h2").map(\.allText) == ["Data", "Training", "Evaluation"])
        #expect(html.all("style").count == 1)
        #expect(html.all("script").isEmpty)
    }

    @Test func consecutiveFiguresShareOneGrid() throws {
        let html = try parseXML(sampleReport().render())
        let grids = html.all(class: "figures")
        #expect(grids.map { $0.all("figure").count } == [2, 1])
        #expect(html.all("svg").count == 3)
        #expect(html.all("figcaption").map(\.allText) == ["Loss per epoch", "Again, with a declaration"])
        #expect(try !sampleReport().render().contains("<?xml"))
    }

    @Test func tablesAreEscapedPaddedAndAlignNumbers() throws {
        let html = try parseXML(sampleReport().render())
        let summary = html.all(class: "summary")[0]
        #expect(summary.all("th").map(\.allText) == ["images", "classes", "model"])
        #expect(summary.all("td").map(\.allText) == ["3670", "5", "ResNet-18"])
        let table = html.all("table")[1]
        #expect(table.all("caption").map(\.allText) == ["Per class"])
        #expect(table.all("th").map(\.allText) == ["class", "precision", "recall"])
        let rows = table.all("tbody")[0].all("tr")
        #expect(rows.map { $0.all("td").map(\.allText) } == [["daisy", "0.912", "87.5%"], ["<b>&", "0.8", ""]])
        #expect(rows[0].all("td").map { $0.attributes["class"] } == [nil, "num", "num"])
    }

    @Test func numericCellsAreRecognised() {
        #expect(HTMLReport.isNumeric("0.912"))
        #expect(HTMLReport.isNumeric("-3"))
        #expect(HTMLReport.isNumeric("3 670"))
        #expect(HTMLReport.isNumeric("87.5%"))
        #expect(!HTMLReport.isNumeric("ResNet-18"))
        #expect(!HTMLReport.isNumeric(""))
        #expect(!HTMLReport.isNumeric("%"))
    }

    @Test func pngDataRoundTripsThroughBase64() throws {
        var report = HTMLReport(title: "Samples")
        report.image(data: png, alt: "a <grid> of samples", caption: "Augmented samples")
        let images = try parseXML(report.render()).all("img")
        #expect(images.count == 1)
        #expect(images[0].attributes["alt"] == "a <grid> of samples")
        let source = try #require(images[0].attributes["src"])
        let prefix = "data:image/png;base64,"
        #expect(source.hasPrefix(prefix))
        #expect(Data(base64Encoded: String(source.dropFirst(prefix.count))) == png)
    }

    @Test func imageFileIsEmbedded() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("samples.png")
        try png.write(to: file)
        var report = HTMLReport(title: "Samples")
        report.image(file: file, caption: "from disk")
        let html = try parseXML(report.render())
        #expect(html.all("img").first?.attributes["alt"] == "samples.png")
        let source = try #require(html.all("img").first?.attributes["src"])
        #expect(Data(base64Encoded: String(source.split(separator: ",")[1])) == png)
        #expect(html.all("figcaption").map(\.allText) == ["from disk"])
    }

    /// Each label sits on its panel: panel i of a 7-panel grid in 4 columns is at column i mod 4 and row i / 4 of 2.
    @Test func panelLabelsArePlacedOnTheirPanels() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("affine.png")
        try png.write(to: file)
        var report = HTMLReport(title: "Panels")
        report.panels(file: file, columns: 4, labels: (0..<7).map { "panel <\($0)>" }, caption: "seven")
        let html = try parseXML(report.render())
        let labels = html.all("span").filter { $0.attributes["class"] == "panel-label" }
        #expect(labels.map(\.allText) == (0..<7).map { "panel <\($0)>" })
        #expect(labels[5].attributes["style"] == "left: 25.000%; top: 50.000%" && labels[3].attributes["style"] == "left: 75.000%; top: 0.000%")
        #expect(html.all("figcaption").map(\.allText) == ["seven"])
        report.panels(file: folder.appendingPathComponent("missing.png"), columns: 2, labels: ["a"])
        #expect(report.render().contains("missing.png is missing from this report"))
    }

    @Test func aGalleryAsksForWiderTilesOnlyWhenTold() throws {
        var report = HTMLReport(title: "Tiles")
        report.gallery([(png, "a")])
        report.gallery([(png, "b")], tileWidth: 230)
        let galleries = try parseXML(report.render()).all("div").filter { $0.attributes["class"] == "gallery" }
        #expect(galleries.map { $0.attributes["style"] } == [nil, "grid-template-columns: repeat(auto-fill, minmax(230px, 1fr))"])
    }

    @Test func missingImageFileBecomesANote() throws {
        var report = HTMLReport(title: "Samples")
        report.image(file: URL(fileURLWithPath: "/nonexistent/run/<gradcam>.png"), caption: "Grad-CAM")
        report.paragraph("The rest of the report is still here.")
        let html = try parseXML(report.render())
        #expect(html.all("img").isEmpty)
        #expect(html.all(class: "note").map(\.allText)
                == ["Image /nonexistent/run/<gradcam>.png is missing from this report: the file does not exist."])
        #expect(html.all("p").count == 2)
    }

    @Test func dataThatIsNotAnImageBecomesANote() throws {
        var report = HTMLReport(title: "Samples")
        report.image(data: Data("hello".utf8), alt: "grid")
        let html = try parseXML(report.render())
        #expect(html.all("img").isEmpty)
        #expect(html.all(class: "note").map(\.allText) == ["Image \"grid\" was left out: its 5 bytes are not a PNG or JPEG file."])
        #expect(HTMLReport.imageType(of: Data([0xFF, 0xD8, 0xFF, 0xE0])) == "image/jpeg")
    }

    @Test func contentBeforeAnySectionGetsAnUntitledOne() throws {
        var report = HTMLReport(title: "Quick")
        report.paragraph("no heading")
        let html = try parseXML(report.render())
        #expect(html.all("section").count == 1)
        #expect(html.all("h2").isEmpty)
        #expect(html.all(class: "subtitle").isEmpty)
    }

    @Test func writeReplacesTheFileAndLeavesNoTemporaryBehind() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("report.html")
        try "old report".write(to: url, atomically: false, encoding: .utf8)
        let report = try sampleReport()
        try report.write(to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == report.render())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["report.html"])
    }

    @Test func writeIntoAMissingFolderNamesIt() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("no-such-run")
        let url = missing.appendingPathComponent("report.html")
        #expect(throws: ReportError.cannotWrite(path: url.path, reason: "the folder \(missing.path) does not exist")) {
            try HTMLReport(title: "x").write(to: url)
        }
    }
}

@Suite struct GalleryTests {
    @Test func aGalleryEmbedsEachPictureWithItsEscapedCaptionAndNotesBadData() throws {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])
        var report = HTMLReport(title: "t")
        report.section("Predictions")
        report.gallery([(png, "rose → daisy <✗>"), (Data("text".utf8), "broken")], caption: "Shown & told")
        let html = report.render()
        #expect(html.contains("<div class=\"gallery\">") && html.contains("data:image/png;base64,"))
        #expect(html.contains("rose → daisy &lt;✗&gt;") && html.contains("Shown &amp; told"))
        #expect(html.contains("A picture of \"broken\" was left out") || html.contains("A picture of &quot;broken&quot; was left out"))
    }
}

