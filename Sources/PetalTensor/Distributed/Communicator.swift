// The collective operations data-parallel training needs, as a protocol: the trainer and synchronised batch norm
// speak to it, and an implementation (PetalMPI's Open MPI one) carries the bytes. Every rank must make the same calls
// in the same order with the same sizes; a call is a meeting point of all ranks.
import Foundation

/// A group of processes ("ranks") that train one model together.
public protocol Communicator: AnyObject, Sendable {
    /// This process's index in the group, 0..<size; rank 0 is the one that writes files.
    var rank: Int { get }
    /// Processes in the group.
    var size: Int { get }
    /// Replaces `values` on every rank by their element-wise sum over all ranks.
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Replaces `values` on every rank by their element-wise sum over all ranks, in Double.
    func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Sums several buffers across ranks; an implementation may overlap their transfers (one reduction in flight
    /// while the caller's next bucket is still being filled is up to the implementation).
    func allReduceSum(buckets: [UnsafeMutableBufferPointer<Float>]) throws
    /// Copies `bytes` of rank `root` into `bytes` of every other rank (all ranks pass buffers of one size).
    func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws
    /// Every rank's `bytes` (sizes may differ), in rank order, on every rank.
    func allGather(_ bytes: [UInt8]) throws -> [[UInt8]]
}

extension Communicator {
    /// Whether this is the rank that writes files and prints.
    public var isRoot: Bool { rank == 0 }

    /// Sums `values` across ranks and returns the sums.
    public func allReduceSum(_ values: [Double]) throws -> [Double] {
        var v = values
        try v.withUnsafeMutableBufferPointer { try allReduceSum($0) }
        return v
    }

    /// Rank `root`'s byte string on every rank (other ranks pass anything, usually an empty array).
    public func broadcast(_ bytes: [UInt8], root: Int = 0) throws -> [UInt8] {
        var count = Int64(bytes.count)
        try withUnsafeMutableBytes(of: &count) { try broadcast($0, root: root) }
        var out = rank == root ? bytes : [UInt8](repeating: 0, count: Int(count))
        try out.withUnsafeMutableBytes { try broadcast($0, root: root) }
        return out
    }

    /// Rank `root`'s value on every rank, sent as JSON.
    public func broadcast<T: Codable>(_ value: T?, root: Int = 0) throws -> T {
        let bytes = rank == root ? [UInt8](try JSONEncoder().encode(value)) : []
        guard let decoded = try JSONDecoder().decode(T?.self, from: Data(try broadcast(bytes, root: root))) else {
            throw CommunicationError.failed(operation: "broadcast", rank: rank, reason: "rank \(root) had no value to send")
        }
        return decoded
    }

    /// Whether any rank passed true.
    public func any(_ flag: Bool) throws -> Bool { try allReduceSum([flag ? 1 : 0])[0] > 0 }
}

/// A collective operation that failed; the message names the rank and what the transport said.
public enum CommunicationError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case failed(operation: String, rank: Int, reason: String)
    case mismatch(rank: Int, reason: String)

    /// One line naming the rank and the failure.
    public var description: String {
        switch self {
        case .failed(let op, let rank, let reason): "rank \(rank): \(op) failed: \(reason)"
        case .mismatch(let rank, let reason): "rank \(rank): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
