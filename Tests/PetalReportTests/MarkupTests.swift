import Testing
@testable import PetalReport

@Suite struct MarkupTests {
    @Test func escapesAllFiveXMLSpecialCharacters() {
        #expect(Markup.escape("<b>&\"x\"'y'") == "&lt;b&gt;&amp;&quot;x&quot;&#39;y&#39;")
        #expect(Markup.escape("daisy") == "daisy")
    }

    @Test func dropsControlCharactersThatXMLForbids() {
        #expect(Markup.escape("a\u{0}b\u{1B}c\td\ne") == "abc\td\ne")
    }

    @Test func coordinatesHaveAtMostTwoDecimals() {
        #expect(Markup.coordinate(12.346) == "12.35")
        #expect(Markup.coordinate(12.5) == "12.5")
        #expect(Markup.coordinate(3.0) == "3")
        #expect(Markup.coordinate(-0.25) == "-0.25")
        #expect(Markup.coordinate(-0.001) == "0")
        #expect(Markup.coordinate(399.999) == "400")
    }

    @Test func fixedNeverWritesNegativeZero() {
        #expect(Markup.fixed(-0.0001, decimals: 2) == "0.00")
        #expect(Markup.fixed(-0.5, decimals: 1) == "-0.5")
        #expect(Markup.fixed(2.25, decimals: 0) == "2")
    }
}
