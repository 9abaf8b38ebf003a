// Where the libraries' status lines and warnings go when a caller passes no sink of its own: swift-log, so that a
// program embedding Petal routes them with the rest of its logging (LoggingSystem.bootstrap) instead of finding them
// printed. The `log:` parameters take any closure; `petal` passes one that writes its terminal lines.
import Logging

/// The libraries' default log sink.
public enum PetalLog {
    /// The logger library messages go to (label `petal`).
    public static let logger = Logger(label: "petal")

    /// A sink for the `log:` parameters: lines beginning with "warning" at `.warning`, the rest at `.info`.
    public static let sink: @Sendable (String) -> Void = { line in
        if line.hasPrefix("warning") { logger.warning("\(line)") } else { logger.info("\(line)") }
    }
}
