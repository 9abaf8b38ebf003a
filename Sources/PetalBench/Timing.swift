// Timing helpers shared by every benchmark: warm up, repeat until enough time has passed, report the median.
import Foundation

/// Median seconds per call of `body` (after `warmup` calls), over at least `minimumRuns` calls and `seconds` of time.
func medianSeconds(warmup: Int = 2, minimumRuns: Int = 5, seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var samples: [Double] = []
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.count < minimumRuns || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    samples.sort()
    return samples[samples.count / 2]
}

/// Pads a cell to a fixed width for the printed tables.
func cell(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
