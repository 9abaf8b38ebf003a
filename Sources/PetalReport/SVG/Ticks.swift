import Foundation

/// How values are spaced along a chart axis.
public enum AxisScale: Sendable, Equatable {
    /// Equal distances for equal differences.
    case linear
    /// Equal distances for equal ratios (powers of ten); every value must be positive.
    case log
}

/// "Nice" tick values: multiples of 1, 2 or 5 times a power of ten on linear axes, powers of ten on
/// logarithmic ones, so a reader can interpolate between gridlines in their head.
///
/// The step rule is Heckbert's ("Nice numbers for graph labels", Graphics Gems, 1990): divide the
/// span by the wanted number of intervals and round the result to the nearest 1, 2, 5 or 10 times a
/// power of ten.
enum Ticks {
    /// The nice step for about `target` intervals across `span`, and at least `minimum` (1 for
    /// whole-number data such as epochs, which should not get ticks at 2.5).
    static func step(span: Double, target: Int = 5, minimum: Double = 0) -> Double {
        precondition(span > 0 && span.isFinite, "tick span must be positive and finite")
        let rough = span / Double(max(1, target))
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let residual = rough / magnitude
        let nice: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        let step = max(nice * magnitude, minimum)
        // A span of a few subnormals divides to zero (found by `make fuzz`): one interval then covers it.
        return step > 0 && step.isFinite ? step : span
    }

    /// The multiples of `step(span:)` that lie inside `range`, e.g. 0…0.87 → 0, 0.2, 0.4, 0.6, 0.8.
    ///
    /// Values are rounded to the step's decimals, so 3 × 0.2 is 0.6 and not 0.6000000000000001.
    static func linear(in range: ClosedRange<Double>, target: Int = 5, minimumStep: Double = 0) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return [range.lowerBound] }
        let step = step(span: span, target: target, minimum: minimumStep)
        // A small tolerance keeps ends that are exact multiples (0.6 / 0.2 = 2.9999999999999996).
        let first = (range.lowerBound / step - 1e-9).rounded(.up)
        let last = (range.upperBound / step + 1e-9).rounded(.down)
        guard first <= last else { return [] }
        return stride(from: first, through: last, by: 1).map { rounded($0 * step, step: step) }
    }

    /// `range` widened outward to the nearest ticks, so the axis starts and ends on a labelled
    /// gridline (0.03…0.87 → 0…1 with ticks every 0.2). A zero-width range is widened first.
    static func niceDomain(_ range: ClosedRange<Double>, target: Int = 5, minimumStep: Double = 0) -> ClosedRange<Double> {
        var lower = range.lowerBound, upper = range.upperBound
        if upper - lower <= 0 {
            let pad = lower == 0 ? 1 : abs(lower) * 0.1
            lower -= pad
            upper += pad
        }
        let step = step(span: upper - lower, target: target, minimum: minimumStep)
        let niceLower = rounded((lower / step + 1e-9).rounded(.down) * step, step: step)
        let niceUpper = rounded((upper / step - 1e-9).rounded(.up) * step, step: step)
        // Spans at the ends of Double's range (subnormals, near its largest value) can defeat the widening.
        guard niceLower.isFinite, niceUpper.isFinite, niceLower <= lower, niceUpper >= upper else { return lower...upper }
        return niceLower...niceUpper
    }

    /// `value` rounded to the decimals of `step` (3 × 0.2 is 0.6, not 0.6000000000000001); as it is where `step` needs
    /// more decimals than a Double can scale by.
    private static func rounded(_ value: Double, step: Double) -> Double {
        let scale = pow(10, Double(decimals(step: step)))
        guard scale.isFinite, (value * scale).isFinite else { return value }
        return (value * scale).rounded() / scale
    }

    /// The powers of ten from the decade at or below `range.lowerBound` to the one at or above
    /// `range.upperBound`: 0.0013…0.1 → 0.001, 0.01, 0.1. With more than ten decades only every
    /// second (third, …) decade is ticked, so labels do not collide.
    static func logarithmic(in range: ClosedRange<Double>) -> [Double] {
        let (low, high, every) = decades(range)
        return stride(from: low, through: high, by: every).map { pow(10, Double($0)) }
    }

    /// `range` widened to whole decades on the tick grid of `logarithmic(in:)`.
    static func logDomain(_ range: ClosedRange<Double>) -> ClosedRange<Double> {
        let (low, high, _) = decades(range)
        return pow(10, Double(low))...pow(10, Double(high))
    }

    private static func decades(_ range: ClosedRange<Double>) -> (low: Int, high: Int, every: Int) {
        precondition(range.lowerBound > 0, "a logarithmic axis needs positive values")
        // The tolerance keeps exact powers (log10(1e-3) = -2.9999999999999996) on their own decade.
        let low = Int((log10(range.lowerBound) + 1e-9).rounded(.down))
        var high = Int((log10(range.upperBound) - 1e-9).rounded(.up))
        if high <= low { high = low + 1 }  // a single value still gets a decade to sit in
        let every = max(1, Int((Double(high - low) / 10).rounded(.up)))
        high = low + ((high - low + every - 1) / every) * every
        return (low, high, every)
    }

    /// Decimals needed to write multiples of `step` exactly (0.2 → 1, 0.05 → 2, 5 → 0).
    static func decimals(step: Double) -> Int {
        guard step > 0, step.isFinite else { return 0 }
        return max(0, Int((-log10(step) - 1e-9).rounded(.up)))  // tolerance: log10(0.1) is not exactly -1
    }

    /// A linear tick label with as many decimals as the step needs: 0.2 step → "0.4", 5 → "15".
    static func linearLabel(_ value: Double, step: Double) -> String {
        Markup.fixed(value, decimals: decimals(step: step))
    }

    /// A power-of-ten label: plain for 0.001…1000 ("0.001", "1", "100"), otherwise "1e-4", "1e5".
    static func logLabel(_ value: Double) -> String {
        let exponent = Int(log10(value).rounded())
        switch exponent {
        case -3..<0: return Markup.fixed(value, decimals: -exponent)
        case 0...3: return String(Int(pow(10, Double(exponent))))
        default: return "1e\(exponent)"
        }
    }
}
