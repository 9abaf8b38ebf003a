// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
// mapping each tensor name to its dtype, shape and byte range, an optional `__metadata__` map of strings,
// then the raw little-endian data. Petal writes F32 and reads F32, F64, F16, BF16 and integer tensors
// (PyTorch stores BatchNorm's `num_batches_tracked` as I64), converting them to Float.
import Foundation

/// A set of named tensors with string metadata, as stored in a `.safetensors` file.
public struct SafeTensors {
    /// The tensors, in file order.
    public var tensors: [(name: String, tensor: Tensor)]
    /// The header's `__metadata__` strings (Petal keeps its JSON metadata under "petal").
    public var metadata: [String: String]

    /// A file's contents, to be written with ``encoded()``.
    public init(tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor named `name`, if any.
    public subscript(name: String) -> Tensor? { tensors.first { $0.name == name }?.tensor }

    // MARK: Writing

    /// The file's bytes: header (padded with spaces to a multiple of 8, as the reference writer does) and data.
    public func encoded() throws -> Data {
        var header: [String: Any] = [:]
        var offset = 0
        for (name, t) in tensors {
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.count * 4]]
            offset += t.count * 4
        }
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in tensors {
            t.withUnsafeBufferPointer { b in
                #if _endian(big)
                for v in b { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                #else
                out.append(UnsafeBufferPointer(start: UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: UInt8.self), count: b.count * 4))
                #endif
            }
        }
        return out
    }

    // MARK: Reading

    /// What a file that is not safetensors is, when its first bytes tell, said so a person knows what to do with it.
    static func otherFormat(_ data: Data) -> String? {
        if data.isEmpty { return "is empty" }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return "is a PyTorch checkpoint (a zip archive, as torch.save writes), not a Petal one: convert it with `petal import FILE -o MODEL.safetensors`, or start training from it with `petal train --pretrained FILE`"
        }
        if data.starts(with: [0x80]) && data.count > 1 && (2...5).contains(data[data.startIndex + 1]) {
            return "is a pickle (a PyTorch checkpoint in the format before 1.6?), not a safetensors file: load and save it with a current PyTorch, then `petal import` it"
        }
        // An ONNX ModelProto opens with its ir_version (field 1, a small varint), then another of its first fields.
        if data.count > 3, data[data.startIndex] == 0x08, (1...20).contains(data[data.startIndex + 1]),
           [0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x40, 0x42].contains(data[data.startIndex + 2]) {
            return "is an ONNX model (as `petal export` writes), not a Petal checkpoint: give the .safetensors checkpoint it was exported from; ONNX Runtime and OpenVINO run the ONNX file"
        }
        if data.allSatisfy({ $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || (0x20..<0x7F).contains($0) }) {
            return "is a text file, not a checkpoint"
        }
        return nil
    }

    /// Parses safetensors bytes; `source` names the file in errors.
    public init(data: Data, source: String) throws {
        func fail(_ reason: String) -> ModelError { .checkpoint(path: source, reason: reason) }
        if let other = Self.otherFormat(data) { throw fail(other) }
        guard data.count >= 8 else { throw fail("too short to be a safetensors file (\(data.count) bytes)") }
        let headerLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8), headerLength < 100_000_000 else {
            throw fail("header length \(headerLength) exceeds the file size \(data.count) (truncated or not safetensors)")
        }
        let body = data.dropFirst(8 + Int(headerLength))
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(headerLength)))) as? [String: Any] else {
            throw fail("the header is not valid JSON")
        }
        metadata = (header["__metadata__"] as? [String: String]) ?? [:]
        var entries: [(name: String, tensor: Tensor, start: Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw fail("tensor '\(name)' has a malformed header entry")
            }
            guard let width = SafeTensors.byteWidth[dtype] else { throw fail("tensor '\(name)' has unsupported dtype \(dtype)") }
            // Checked arithmetic: a crafted header can claim any shape, and must get an error, never a trap.
            var count = 1, overflow = !shape.allSatisfy({ $0 >= 0 })
            for d in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: d) }
            let (byteCount, wide) = count.multipliedReportingOverflow(by: width)
            let (span, negative) = offsets[1].subtractingReportingOverflow(offsets[0])
            guard !overflow, !wide, !negative, offsets[0] >= 0, span == byteCount else {
                throw fail("tensor '\(name)' of shape \(shape) and dtype \(dtype) does not fit its byte range \(offsets)")
            }
            guard offsets[1] <= body.count else {
                throw fail("tensor '\(name)' ends at byte \(offsets[1]) of a data section of \(body.count) bytes (truncated file)")
            }
            let bytes = body.dropFirst(offsets[0]).prefix(offsets[1] - offsets[0])
            let values = bytes.withUnsafeBytes { SafeTensors.decode($0, dtype: dtype, count: count) }
            entries.append((name, try Tensor(shape: shape, scalars: values), offsets[0]))
        }
        tensors = entries.sorted { $0.start < $1.start }.map { ($0.name, $0.tensor) }
    }

    static let byteWidth: [String: Int] = ["F32": 4, "F64": 8, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    static func decode(_ raw: UnsafeRawBufferPointer, dtype: String, count: Int) -> [Float] {
        (0..<count).map { i -> Float in
            switch dtype {
            case "F32": Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            case "F64": Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            case "BF16": Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16)
            case "F16": Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))))
            case "I64": Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)))
            case "I32": Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
            case "I16": Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
            case "I8": Float(raw.load(fromByteOffset: i, as: Int8.self))
            default: Float(raw[i])  // U8, BOOL
            }
        }
    }
}
