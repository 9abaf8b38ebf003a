import Foundation

/// Why a chart or report could not be made or written.
public enum ReportError: Error, LocalizedError, Equatable {
    case invalidData(String)
    case cannotWrite(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .invalidData(let m): m
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
