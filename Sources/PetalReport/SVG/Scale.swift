import Foundation

/// Maps data values on one axis to pixel positions.
///
/// `pixels` may run backwards (bottom → top for a y axis, where SVG's y grows downwards), so
/// `domain.upperBound` lands on `pixels.end` in both directions.
struct Scale {
    let domain: ClosedRange<Double>
    let start: Double
    let end: Double
    let kind: AxisScale

    init(domain: ClosedRange<Double>, pixels start: Double, _ end: Double, kind: AxisScale = .linear) {
        self.domain = domain
        self.start = start
        self.end = end
        self.kind = kind
    }

    /// The pixel position of `value`; values outside the domain map outside the pixel range.
    func callAsFunction(_ value: Double) -> Double {
        let t: Double
        switch kind {
        case .linear:
            let v = min(max(value, -AxisTicks.displayLimit), AxisTicks.displayLimit)
            t = (v - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        case .log:
            let low = log10(domain.lowerBound)
            t = (log10(value) - low) / (log10(domain.upperBound) - low)
        }
        return start + t * (end - start)
    }
}

/// One axis's domain, tick positions and tick labels, worked out before the layout so the margins
/// can be sized to the labels.
struct AxisTicks {
    let kind: AxisScale
    let domain: ClosedRange<Double>
    let values: [Double]
    let labels: [String]

    /// Ticks for data spanning `data`, with the domain widened to the outermost ticks; `integral`
    /// data (epochs, counts) gets whole-number steps.
    /// Data beyond ±`displayLimit` (a diverged loss near the largest Double) is drawn at the limit, and on a logarithmic
    /// axis data below 1 / `displayLimit` at that: the axis arithmetic (spans, widened ends, powers of ten) must stay
    /// finite and positive, and no reader tells 1e300 from 1.7e308 on a chart.
    static let displayLimit = 1e300

    init(data: ClosedRange<Double>, kind: AxisScale, target: Int = 5, integral: Bool = false) {
        self.kind = kind
        let limit = Self.displayLimit
        let data = min(max(data.lowerBound, -limit), limit)...min(max(data.upperBound, -limit), limit)
        switch kind {
        case .linear:
            let minimumStep = integral ? 1.0 : 0
            domain = Ticks.niceDomain(data, target: target, minimumStep: minimumStep)
            values = Ticks.linear(in: domain, target: target, minimumStep: minimumStep)
            let step = values.count > 1 ? values[1] - values[0] : 1
            labels = values.map { Ticks.linearLabel($0, step: step) }
        case .log:
            // Below 1e-300 the decade's power of ten underflows to zero (a value of 4.9e-324 made the domain start at 0).
            let data = max(data.lowerBound, 1 / limit)...max(data.upperBound, 1 / limit)
            domain = Ticks.logDomain(data)
            values = Ticks.logarithmic(in: domain)
            labels = values.map(Ticks.logLabel)
        }
    }

    /// Ticks at fixed values over a fixed domain (the 0…1 axes of a ROC chart).
    init(domain: ClosedRange<Double>, values: [Double], labels: [String]) {
        kind = .linear
        self.domain = domain
        self.values = values
        self.labels = labels
    }

    func scale(from start: Double, to end: Double) -> Scale {
        Scale(domain: domain, pixels: start, end, kind: kind)
    }
}
