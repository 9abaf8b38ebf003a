// What every test target shares: one closeness check and a thread-safe log collector. A target of its own so that
// each test target stops writing its own copy.
import Foundation
import Testing

/// Checks |actual − expected| ≤ atol + rtol·|expected| elementwise, reporting the worst element (a non-finite
/// actual value where a finite one was expected is always the worst).
public func expectClose(_ actual: [Float], _ expected: [Double], rtol: Double = 1e-4, atol: Double = 1e-5,
                        _ what: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    guard actual.count == expected.count else { return }
    var worst = (index: -1, excess: 0.0)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let excess = abs(Double(a) - e) - (atol + rtol * abs(e))
        if excess > worst.excess || (!a.isFinite && e.isFinite) { worst = (i, a.isFinite ? excess : .infinity) }
    }
    #expect(worst.index < 0, "\(what): element \(worst.index) is \(worst.index >= 0 ? actual[worst.index] : 0), expected \(worst.index >= 0 ? expected[worst.index] : 0)",
            sourceLocation: sourceLocation)
}

/// Log lines collected from a pipeline or a run (their log closures may be called from any thread).
public final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    public init() {}

    /// Adds a line (pass `lines.append` as a log closure).
    public func append(_ line: String) { lock.withLock { storage.append(line) } }

    /// The lines so far, in order.
    public var lines: [String] { lock.withLock { storage } }
}

/// Whether the long tests run: set `PETAL_LONG_TESTS=1` (they are left out of `make test`).
public let longTestsEnabled = ProcessInfo.processInfo.environment["PETAL_LONG_TESTS"] == "1"

/// What the test machine's CPU is, read from `/proc/cpuinfo` (independently of what oneDNN picks, so that a test gated
/// on a feature fails, rather than turns itself off, when Petal stops using it).
public enum TestCPU {
    private static let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    private static func field(_ name: String) -> String {
        cpuinfo.split(separator: "\n").first { $0.hasPrefix(name) }.map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? ""
    }
    /// The CPU's feature flags (`avx512f`, `avx512_bf16`, `amx_tile` …).
    public static let flags = Set(field("flags").split(separator: " ").map(String.init))
    /// `GenuineIntel`, `AuthenticAMD` …
    public static let vendor = field("vendor_id")
    /// Whether oneDNN 2.6 offers Winograd convolutions here: on Intel CPUs with AVX-512 only.
    public static var offersWinograd: Bool { vendor == "GenuineIntel" && flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) }
}
