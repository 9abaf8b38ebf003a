import Testing
@testable import PetalReport

@Suite struct ReportErrorTests {
    @Test func messagesNameTheProblem() {
        #expect(ReportError.cannotWrite(path: "/x/report.html", reason: "read-only").localizedDescription == "cannot write /x/report.html: read-only")
    }
}
