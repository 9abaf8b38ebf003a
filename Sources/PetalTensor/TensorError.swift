import Foundation

/// Why a tensor operation could not run. Each message names the op, the shapes and what was expected.
public enum TensorError: Error, LocalizedError, Equatable {
    /// An op was given shapes it cannot combine, e.g. `matmul: [2, 3] × [4, 5]: inner dimensions 3 and 4 differ`.
    case shapeMismatch(op: String, message: String)
    /// An argument is out of its valid range, e.g. a non-positive stride.
    case invalidArgument(op: String, message: String)
    /// oneDNN rejected a primitive (a combination of parameters it cannot run).
    case backend(String)

    public var errorDescription: String? {
        switch self {
        case .shapeMismatch(let op, let message): "\(op): \(message)"
        case .invalidArgument(let op, let message): "\(op): \(message)"
        case .backend(let message): "oneDNN: \(message)"
        }
    }
}

/// Formats a shape the way error messages print it: `[2, 3, 8, 8]`.
func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
