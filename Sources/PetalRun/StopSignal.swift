// Stopping a run from outside (Ctrl-C, SIGTERM, a user interface): the run finishes the batch it is on and
// returns; nothing of the cut epoch is saved, so a resume reruns it and ends exactly as an uninterrupted run.
import Foundation
import PetalTrain
import Synchronization

/// A request to stop a run, safe to make from a signal handler (one atomic store).
public final class StopSignal: Sendable {
    private let code = Atomic<Int32>(0)

    /// A signal with no request made.
    public init() {}

    /// Asks the run to stop after its current batch; `code` is returned in the result (e.g. the signal number).
    public func request(code: Int32 = 1) { code == 0 ? () : self.code.store(code, ordering: .relaxed) }

    /// The code of the request, or nil when none was made.
    public var requested: Int32? {
        let c = code.load(ordering: .relaxed)
        return c == 0 ? nil : c
    }

    /// What a person calls the request of `code`: "Ctrl-C" for SIGINT, the signal's name for SIGTERM and SIGHUP, and
    /// "a stop request (code N)" for anything else.
    public static func describe(_ code: Int32) -> String {
        switch code {
        case SIGINT: "Ctrl-C"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "a stop request (code \(code))"
        }
    }
}

/// Stops training after the batch during which a stop was requested.
final class StopCallback: Callback {
    let signal: StopSignal
    init(_ signal: StopSignal) { self.signal = signal }

    func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws {
        if let code = signal.requested { state.stop("interrupted by \(StopSignal.describe(code))") }
    }
}
