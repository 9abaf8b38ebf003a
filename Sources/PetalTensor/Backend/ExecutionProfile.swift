// Per-primitive wall time: a profiler for users (where does my step's time go?) and for `petal-bench --profile`.
// oneDNN's own ONEDNN_VERBOSE timing distorts bf16 kernels (docs/DESIGN-CHANGES.md), so Petal times each execution
// itself, inside the lock that already serialises them.
import Foundation

final class ExecutionProfile {
    private(set) var rows: [String: (count: Int, nanoseconds: UInt64)] = [:]

    /// With `byShape`, one row per primitive (its output's dimensions name it) rather than per kind.
    let byShape: Bool

    init(byShape: Bool) { self.byShape = byShape }

    func add(_ p: Primitive, nanoseconds: UInt64) {
        let key = byShape ? p.profileLabel : "\(p.name) [\(p.implementation)]"
        let old = rows[key] ?? (0, 0)
        rows[key] = (old.count + 1, old.nanoseconds + nanoseconds)
    }
}

extension Device {
    /// Starts timing every oneDNN execution on this device (replacing any profile in progress); `byShape` keeps one
    /// row per primitive instead of one per kind.
    public func startProfiling(byShape: Bool = false) { executionLock.withLock { profile = ExecutionProfile(byShape: byShape) } }

    /// Stops timing and returns one row per primitive kind and implementation, slowest first.
    public func stopProfiling() -> [(primitive: String, count: Int, milliseconds: Double)] {
        let rows = executionLock.withLock { () -> [String: (count: Int, nanoseconds: UInt64)] in
            defer { profile = nil }
            return profile?.rows ?? [:]
        }
        return rows.map { ($0.key, $0.value.count, Double($0.value.nanoseconds) / 1e6) }.sorted { $0.milliseconds > $1.milliseconds }
    }
}
