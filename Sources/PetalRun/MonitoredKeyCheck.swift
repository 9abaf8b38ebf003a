import PetalTrain

/// Stops a run whose monitored key is missing from an epoch's logs, naming the cause: only AUC can be missing (a key
/// check ran before training), when a class had no readable validation image that epoch.
final class MonitoredKeyCheck: Callback {
    let monitor: String, classes: [String]
    init(monitor: String, classes: [String]) { (self.monitor, self.classes) = (monitor, classes) }

    func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        guard !state.epochInterrupted, logs[monitor] == nil else { return }
        let seen = Set(state.validation?.labels ?? [])
        let absent = classes.indices.filter { !seen.contains($0) }.map { "'\(classes[$0])'" }
        throw RunError.data("epoch \(state.epoch + 1): \(monitor) is undefined because no validation image of class \(absent.joined(separator: ", ")) could be read (were files removed during the run?)")
    }
}
