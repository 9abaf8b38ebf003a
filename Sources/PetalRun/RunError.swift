import Foundation

/// What can go wrong with a run as a whole (its settings, its folder, resuming it); one line a person can act on.
public enum RunError: Error, LocalizedError, Equatable {
    /// A setting of ``RunConfiguration`` (named as its property, e.g. `learningRate`) is out of range.
    case invalidSetting(_ name: String, reason: String)
    /// The run folder cannot be used as asked.
    case folder(path: String, reason: String)
    /// The run cannot be resumed.
    case cannotResume(path: String, reason: String)
    /// The data set does not allow a run (e.g. one class only).
    case data(String)

    /// One line naming the setting, folder or cause.
    public var errorDescription: String? {
        switch self {
        case .invalidSetting(let name, let reason): "\(name) \(reason)"
        case .folder(let path, let reason): "run folder \(path): \(reason)"
        case .cannotResume(let path, let reason): "cannot resume \(path): \(reason)"
        case .data(let message): message
        }
    }
}
