// PyTorch checkpoints as `torch.save(model.state_dict(), path)` writes them since PyTorch 1.6 (the format of
// torchvision's published weights): a zip archive holding `<name>/data.pkl`, a pickle of the state dict whose tensors
// point at storages stored as `<name>/data/<key>`. The pickle is read by the restricted ``Unpickler``, which executes
// nothing; tensors are rebuilt from their storage, offset, size and stride, and converted to Float.
import Foundation
import ZIPFoundation

/// Reading PyTorch `.pth` / `.pt` state dicts.
public enum PyTorchCheckpoint {
    /// The tensors of a PyTorch state dict file, in the file's order, as a ``SafeTensors`` value (no metadata).
    /// A checkpoint that wraps the state dict (`{"state_dict": …}` or `{"model": …}`) is unwrapped.
    /// - Throws: ``ModelError/checkpoint(path:reason:)`` for a file that is not a PyTorch zip checkpoint, a pickle that
    ///   names anything a state dict does not need (the reason names it), or tensors that do not fit their storage.
    public static func read(_ url: URL) throws -> SafeTensors {
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError { throw ModelError.checkpoint(path: url.path, reason: e.reason) }
        return try read(url, contents: data)
    }

    /// The same, from the file's contents already read (the archive itself is read again from the file; see below).
    static func read(_ url: URL, contents data: Data) throws -> SafeTensors {
        func fail(_ reason: String) -> ModelError { .checkpoint(path: url.path, reason: reason) }
        guard data.starts(with: [0x50, 0x4B, 0x03, 0x04]) else {
            if data.starts(with: [0x80]) {
                throw fail("is a PyTorch checkpoint in the format before PyTorch 1.6: load and save it again with a current PyTorch")
            }
            if (try? SafeTensors(data: data, source: url.path)) != nil {
                throw fail("is a safetensors file, not a PyTorch one: use it as it is")
            }
            throw fail(SafeTensors.otherFormat(data) ?? "is not a PyTorch zip checkpoint")
        }
        do { try ZipLayout.check(data) } catch let e as UnpicklingError { throw fail("is a damaged zip archive (\(e.description))") }
        // File-backed: ZIPFoundation's in-memory archive traps on some damaged offsets that the check above lets
        // through (`MemoryFile.readData`); reading past the end of a file simply fails. Names that are not UTF-8 can
        // only be read in memory.
        let archive: Archive
        do {
            archive = FileSystem.bytes(of: url.path) == Array(url.path.utf8) ? try Archive(url: url, accessMode: .read)
                : try Archive(data: data, accessMode: .read)
        } catch { throw fail("is not a readable zip archive") }
        guard let pickle = archive.first(where: { $0.path.hasSuffix("/data.pkl") || $0.path == "data.pkl" }) else {
            throw fail("holds no data.pkl: not a PyTorch checkpoint")
        }
        let prefix = String(pickle.path.dropLast("data.pkl".count))
        /// An entry's bytes, inflated up to `limit` bytes: a deflate bomb is stopped when it passes what the pickle
        /// declared, whatever its header claims.
        func contents(_ entry: Entry, limit: Int) throws -> [UInt8] {
            guard entry.uncompressedSize <= Int64(data.count) * 1032, entry.uncompressedSize <= Int64(limit) else {
                throw fail("\(entry.path) claims an impossible size (\(entry.uncompressedSize) bytes)")
            }
            var out: [UInt8] = []
            struct TooLarge: Error {}
            do { _ = try archive.extract(entry, skipCRC32: false) { chunk in out += chunk; if out.count > limit { throw TooLarge() } } } catch is TooLarge {
                throw fail("\(entry.path) inflates past the \(limit) bytes its tensors declare (a compression bomb?)")
            } catch { throw fail("\(entry.path) cannot be extracted (\(error))") }
            return out
        }
        let memory = Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(Int.max)))
        if let order = archive[prefix + "byteorder"], let text = String(validating: try contents(order, limit: 64), as: UTF8.self), text != "little" {
            throw fail("stores its tensors \(text)-endian; only little-endian checkpoints are read")
        }
        let tensors = try tensors(pickle: try contents(pickle, limit: min(memory, 1 << 30)), memory: memory, fail: fail) { key, limit in
            guard let entry = archive[prefix + "data/" + key] else { return nil }
            return try contents(entry, limit: limit)
        }
        return SafeTensors(tensors: tensors)
    }

    /// The tensors of a state dict pickle whose storages `storage(key, limit)` gives (nil for a missing one), inflated
    /// up to `limit` bytes. Everything the tensors declare is budgeted against `memory` bytes before any storage is
    /// read. Apart from the archive so that `make fuzz` reaches it with any bytes.
    package static func tensors(pickle: [UInt8], memory: Int, fail: (String) -> ModelError,
                                storage: (_ key: String, _ limit: Int) throws -> [UInt8]?) throws -> [(name: String, tensor: Tensor)] {
        var unpickler = Unpickler(pickle)
        let root: PickleValue
        do { root = try unpickler.load() } catch let e as UnpicklingError { throw fail("its pickle was refused: \(e.description)") }
        let entries = try stateDict(in: root, fail: fail)
        let named = try entries.compactMap { key, value -> (name: String, tensor: PickledTensor)? in
            guard let name = key.string else { throw fail("a state dict key is not a string") }
            guard case .tensor(let t) = value else { return nil }  // non-tensor entries (e.g. `_metadata`) carry no weights
            return (name, t)
        }
        // What the tensors declare, budgeted before anything is inflated or allocated: an expanded view (zero strides)
        // may describe far more elements than its storage holds, and each becomes a Float here.
        var budget = 0, overflow = false
        for (name, t) in named {
            guard let width = storageTypes[t.storageType]?.width else { throw fail("tensor '\(name)' has an unsupported storage \(t.storageType)") }
            var count = 4
            for d in t.size where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: d) }
            let storage = (t.storageElements ?? 0).multipliedReportingOverflow(by: width)
            (budget, _) = budget.addingReportingOverflow(count)
            overflow = overflow || storage.overflow || budget > memory || storage.partialValue > memory
            if overflow {
                let need = t.size.reduce(4.0) { $0 * Double($1) } / 1e9
                throw fail(String(format: "tensor '%@' of size %@ needs %.3g GB as Float: with the tensors before it, more than half this machine's memory (%.1f GB)",
                                  name, "\(t.size)", need, Double(memory) / 1e9))
            }
        }
        var storages: [String: [UInt8]] = [:]
        var tensors: [(name: String, tensor: Tensor)] = []
        for (name, t) in named {
            if storages[t.storageKey] == nil {
                let width = storageTypes[t.storageType]!.width
                guard let bytes = try storage(t.storageKey, t.storageElements.map { $0 * width } ?? memory) else {
                    throw fail("tensor '\(name)' points at a missing storage \(t.storageKey)")
                }
                storages[t.storageKey] = bytes
            }
            tensors.append((name, try tensor(t, bytes: storages[t.storageKey]!, name: name, fail: fail)))
        }
        return tensors
    }

    /// The state dict's (key, value) pairs, unwrapping `{"state_dict": …}` and `{"model": …}`.
    private static func stateDict(in root: PickleValue, fail: (String) -> ModelError) throws -> [(key: PickleValue, value: PickleValue)] {
        guard case .dict(let entries) = root else { throw fail("its pickle holds no dictionary of tensors") }
        if !entries.contains(where: { if case .tensor = $0.value { true } else { false } }) {
            for wrapper in ["state_dict", "model", "model_state_dict"] {
                if let inner = entries.first(where: { $0.key.string == wrapper })?.value, case .dict(let e) = inner { return e }
            }
        }
        return entries
    }

    /// Bytes per element and the decoder of each storage type.
    private static let storageTypes: [String: (width: Int, dtype: String)] = [
        "torch.FloatStorage": (4, "F32"), "torch.DoubleStorage": (8, "F64"), "torch.HalfStorage": (2, "F16"),
        "torch.BFloat16Storage": (2, "BF16"), "torch.LongStorage": (8, "I64"), "torch.IntStorage": (4, "I32"),
        "torch.ShortStorage": (2, "I16"), "torch.CharStorage": (1, "I8"), "torch.ByteStorage": (1, "U8"), "torch.BoolStorage": (1, "BOOL"),
    ]

    /// The view `t` of a storage's bytes, gathered into a contiguous Float tensor.
    private static func tensor(_ t: PickledTensor, bytes: [UInt8], name: String, fail: (String) -> ModelError) throws -> Tensor {
        guard let (width, dtype) = storageTypes[t.storageType] else { throw fail("tensor '\(name)' has an unsupported storage \(t.storageType)") }
        let elements = bytes.count / width
        var count = 1, overflow = false
        for d in t.size where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: d) }
        // The largest element the view reads must lie inside the storage.
        var last = t.offset
        for (d, s) in zip(t.size, t.stride) where d > 0 {
            let (step, o1) = (d - 1).multipliedReportingOverflow(by: s)
            let (sum, o2) = last.addingReportingOverflow(step)
            overflow = overflow || o1 || o2
            last = sum
        }
        guard !overflow, count == 0 || last < elements else {
            throw fail("tensor '\(name)' of size \(t.size) reads past its storage (\(elements) elements)")
        }
        let all = bytes.withUnsafeBytes { SafeTensors.decode($0, dtype: dtype, count: elements) }
        // Row-major strides (what a state dict almost always holds) are one slice of the storage.
        var contiguous = true, expected = 1
        for (d, s) in zip(t.size, t.stride).reversed() where d > 1 { contiguous = contiguous && s == expected; expected *= d }
        if count == 0 { return try Tensor(shape: t.size, scalars: []) }
        if contiguous { return try Tensor(shape: t.size, scalars: Array(all[t.offset..<t.offset + count])) }
        // Any other view is gathered element by element, the storage position moved by one stride at a time; it stays
        // between the offset and `last`, checked above, so nothing here can overflow.
        var values = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: t.size.count)
        var position = t.offset
        for i in 0..<count {
            values[i] = all[position]
            var axis = t.size.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < t.size[axis] { position += t.stride[axis]; break }
                position -= (t.size[axis] - 1) * t.stride[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return try Tensor(shape: t.size, scalars: values)
    }
}
