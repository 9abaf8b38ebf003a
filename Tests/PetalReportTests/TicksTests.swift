import Testing
@testable import PetalReport

@Suite struct TicksTests {
    @Test func linearTicksAreMultiplesOfOneTwoOrFiveInsideTheRange() {
        #expect(Ticks.linear(in: 0...0.87) == [0, 0.2, 0.4, 0.6, 0.8])
        #expect(Ticks.linear(in: 0...1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(Ticks.linear(in: -3...7) == [-2, 0, 2, 4, 6])
        #expect(Ticks.linear(in: 0.6...1.4) == [0.6, 0.8, 1, 1.2, 1.4])
        #expect(Ticks.linear(in: 0...1000) == [0, 200, 400, 600, 800, 1000])
        #expect(Ticks.linear(in: 0.0012...0.0031) == [0.0015, 0.002, 0.0025, 0.003])
    }

    @Test func hugeAndNearlyFlatValuesGetTicksInsideTheRange() {
        // Two adjacent doubles near 1e20: the span (16384) is at the values' own precision.
        let ticks = Ticks.linear(in: 1e20...1.0000000000000002e20)
        #expect(!ticks.isEmpty && ticks.allSatisfy { $0 >= 1e20 && $0 <= 1.0000000000000002e20 })
        #expect(Ticks.linear(in: -3e30...5e30) == [-2e30, 0, 2e30, 4e30])
    }

    @Test func stepRoundsToTheNearestNiceNumber() {
        #expect(Ticks.step(span: 0.87) == 0.2)   // 0.174 → 0.2
        #expect(Ticks.step(span: 7) == 1)        // 1.4 → 1
        #expect(Ticks.step(span: 19) == 5)       // 3.8 → 5
        #expect(Ticks.step(span: 45) == 10)      // 9 → 10
        #expect(Ticks.step(span: 19, target: 6) == 5)
        #expect(Ticks.step(span: 4, target: 6) == 0.5)
        #expect(Ticks.step(span: 4, target: 6, minimum: 1) == 1)
    }

    @Test func niceDomainWidensToTheOutermostTicks() {
        #expect(Ticks.niceDomain(0.03...0.87) == 0...1)
        #expect(Ticks.niceDomain(0.31...1.62) == 0.2...1.8)
        #expect(Ticks.niceDomain(1...20) == 0...20)
        // A flat series still gets an axis with some height.
        #expect(Ticks.niceDomain(0.5...0.5) == 0.44...0.56)
        #expect(Ticks.niceDomain(0...0) == -1...1)
        #expect(Ticks.niceDomain(1...1, minimumStep: 1) == 0...2)  // a single epoch
    }

    @Test func logTicksArePowersOfTenCoveringTheRange() {
        #expect(Ticks.logarithmic(in: 0.0013...0.1) == [0.001, 0.01, 0.1])
        #expect(Ticks.logDomain(0.0013...0.1) == 0.001...0.1)
        let finder = Ticks.logarithmic(in: 1e-7...10)
        #expect(finder.count == 9)
        #expect(finder.first == 1e-7 && finder.last == 10)
        // Within one decade the axis still spans a whole decade.
        #expect(Ticks.logarithmic(in: 0.02...0.05) == [0.01, 0.1])
    }

    @Test func logTicksSkipDecadesWhenThereAreMoreThanTen() {
        let ticks = Ticks.logarithmic(in: 1e-12...1e3)  // 15 decades → every second one
        #expect(ticks.count == 9)
        #expect(ticks.first == 1e-12)
        #expect(ticks.last == 1e4)
    }

    @Test func labelsUseTheDecimalsTheStepNeeds() {
        #expect(Ticks.linearLabel(0.4, step: 0.2) == "0.4")
        #expect(Ticks.linearLabel(0, step: 0.2) == "0.0")
        #expect(Ticks.linearLabel(15, step: 5) == "15")
        #expect(Ticks.linearLabel(3, step: 1) == "3")
        #expect(Ticks.linearLabel(0.3, step: 0.1) == "0.3")
        #expect(Ticks.linearLabel(0.35, step: 0.05) == "0.35")
        #expect(Ticks.linearLabel(0.0025, step: 0.0005) == "0.0025")
    }

    @Test func logLabelsArePlainNearOneAndExponentsFarFromIt() {
        #expect(Ticks.logLabel(1e-7) == "1e-7")
        #expect(Ticks.logLabel(1e-4) == "1e-4")
        #expect(Ticks.logLabel(0.001) == "0.001")
        #expect(Ticks.logLabel(0.1) == "0.1")
        #expect(Ticks.logLabel(1) == "1")
        #expect(Ticks.logLabel(1000) == "1000")
        #expect(Ticks.logLabel(1e4) == "1e4")
    }

    @Test func scaleMapsDomainEndsToPixelEnds() {
        let y = Scale(domain: 0...1, pixels: 300, 20)
        #expect(y(1) == 20)
        #expect(y(0) == 300)
        #expect(y(0.5) == 160)
        let x = Scale(domain: 1e-7...10, pixels: 0, 800, kind: .log)
        #expect(close(x(1e-3), 400, tolerance: 1e-9))
        #expect(close(x(10), 800, tolerance: 1e-9))
    }
}
