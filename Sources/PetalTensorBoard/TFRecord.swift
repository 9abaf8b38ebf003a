// TFRecord framing, the container of TensorBoard's event files: each record is its length (UInt64, little-endian),
// the masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
import Foundation

/// Reading and writing TFRecord frames.
public enum TFRecord {
    /// One framed record.
    public static func frame(_ data: Data) -> Data {
        var out = Data()
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Data($0) }
        out.append(length)
        withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out.append(contentsOf: $0) }
        out.append(data)
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { out.append(contentsOf: $0) }
        return out
    }

    /// The records of a TFRecord file's bytes; `source` is what errors name as the file (its path, say).
    /// - Throws: ``TensorBoardError/damaged(path:reason:)`` naming the record whose length or checksum is wrong, or a
    ///   truncated end (a file still being written ends at its last whole record: pass `allowPartialEnd`).
    public static func records(in data: Data, source path: String, allowPartialEnd: Bool = false) throws -> [Data] {
        var records: [Data] = []
        var offset = data.startIndex
        func read(_ n: Int) -> Data? {
            guard data.endIndex - offset >= n else { return nil }
            defer { offset += n }
            return data[offset..<(offset + n)]
        }
        func uint32(_ d: Data) -> UInt32 { d.reduce((UInt32(0), 0)) { ($0.0 | UInt32($1) << $0.1, $0.1 + 8) }.0 }
        while offset < data.endIndex {
            let index = records.count
            guard let lengthBytes = read(8), let lengthCRC = read(4) else {
                if allowPartialEnd { break }
                throw TensorBoardError.damaged(path: path, reason: "record \(index + 1) is cut short in its header")
            }
            guard CRC32C.masked(lengthBytes) == uint32(lengthCRC) else {
                throw TensorBoardError.damaged(path: path, reason: "record \(index + 1) has a wrong length checksum")
            }
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard length <= UInt64(data.endIndex - offset) - min(UInt64(data.endIndex - offset), 4) || allowPartialEnd else {
                throw TensorBoardError.damaged(path: path, reason: "record \(index + 1) claims \(length) bytes, more than the file holds")
            }
            guard length <= UInt64(Int.max), let body = read(Int(length)), let bodyCRC = read(4) else {
                if allowPartialEnd { break }
                throw TensorBoardError.damaged(path: path, reason: "record \(index + 1) is cut short")
            }
            guard CRC32C.masked(body) == uint32(bodyCRC) else {
                throw TensorBoardError.damaged(path: path, reason: "record \(index + 1) has a wrong data checksum")
            }
            records.append(Data(body))
        }
        return records
    }
}

/// Errors of the TensorBoard reader and writer.
public enum TensorBoardError: Error, Equatable, CustomStringConvertible, LocalizedError {
    case damaged(path: String, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .damaged(let path, let reason): "\(path): not a readable TensorBoard event file: \(reason)"
        case .io(let path, let reason): "\(path): \(reason)"
        }
    }
    public var errorDescription: String? { description }
}
