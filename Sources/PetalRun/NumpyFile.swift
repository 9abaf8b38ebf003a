// Tensors as NumPy `.npy` files (format 1.0, little-endian float32, C order), for handing Petal's exact model inputs to
// other tools: another runtime's preprocessing can then be checked against Petal's value for value.
import Foundation
import PetalTensor

/// Writes `.npy` files.
enum NumpyFile {
    /// The `.npy` bytes of `tensor` (its values in row-major order).
    static func encoded(_ tensor: Tensor) -> Data {
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces and a newline to a multiple of 64.
        let total = (10 + header.utf8.count + 1 + 63) / 64 * 64
        header += String(repeating: " ", count: total - 10 - header.utf8.count - 1) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        tensor.scalars.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// Writes `tensor` to `url` atomically.
    static func write(_ tensor: Tensor, to url: URL) throws { try AtomicFile.write(encoded(tensor), to: url) }
}
