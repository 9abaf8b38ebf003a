// A bounds check of a zip archive's layout before ZIPFoundation reads it. ZIPFoundation 0.9.20 traps on some crafted
// offsets (an integer conversion in `Data.readStruct`, found by `make fuzz`), and a `.pth` file is untrusted input, so
// every offset and size the archive claims (end of central directory, zip64 records, central directory entries, local
// headers and their data) is checked to lie inside the file first. Reference: PKWARE's APPNOTE.TXT, sections 4.3–4.5.
import Foundation

enum ZipLayout {
    /// Throws a reason when any record of the archive points outside `data`.
    static func check(_ data: Data) throws {
        let bytes = [UInt8](data)
        func u16(_ at: Int) throws -> Int { try bounds(at, 2, bytes.count); return Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) throws -> Int { try bounds(at, 4, bytes.count); return (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        func u64(_ at: Int) throws -> Int {
            try bounds(at, 8, bytes.count)
            let v = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << UInt64(8 * $1) }
            guard v <= UInt64(Int.max) else { throw UnpicklingError(description: "a zip size of \(v) bytes") }
            return Int(v)
        }
        // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
        let lowest = max(0, bytes.count - 65_557)
        guard let eocd = stride(from: bytes.count - 22, through: lowest, by: -1).first(where: { (try? u32($0)) == 0x0605_4B50 }) else {
            throw UnpicklingError(description: "no end-of-central-directory record")
        }
        var (entries, size, offset) = (try u16(eocd + 10), try u32(eocd + 12), try u32(eocd + 16))
        if entries == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard locator >= 0, try u32(locator) == 0x0706_4B50 else { throw UnpicklingError(description: "a zip64 archive without its locator") }
            let record = try u64(locator + 8)
            guard record >= 0, try u32(record) == 0x0606_4B50 else { throw UnpicklingError(description: "a misplaced zip64 record") }
            (entries, size, offset) = (try u64(record + 32), try u64(record + 40), try u64(record + 48))
        }
        let (end, overflow) = offset.addingReportingOverflow(size)
        guard !overflow, end <= bytes.count else { throw UnpicklingError(description: "a central directory outside the file") }
        var p = offset
        for _ in 0..<entries {
            guard try u32(p) == 0x0201_4B50 else { throw UnpicklingError(description: "a damaged central directory") }
            var compressed = try u32(p + 20), local = try u32(p + 42)
            let uncompressed = try u32(p + 24)
            let (name, extra, comment) = (try u16(p + 28), try u16(p + 30), try u16(p + 32))
            try bounds(p + 46, name + extra + comment, end)
            // Zip64 sizes and offset follow in extra field 0x0001, in this order, for the values that are 0xFFFFFFFF.
            var q = p + 46 + name
            while q + 4 <= p + 46 + name + extra {
                let (id, length) = (try u16(q), try u16(q + 2))
                if id == 1 {
                    var r = q + 4
                    if uncompressed == 0xFFFF_FFFF { r += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = try u64(r); r += 8 }
                    if local == 0xFFFF_FFFF { local = try u64(r) }
                }
                q += 4 + length
            }
            guard try u32(local) == 0x0403_4B50 else { throw UnpicklingError(description: "an entry whose local header is missing") }
            try bounds(local + 30, try u16(local + 26) + u16(local + 28) + compressed, bytes.count)
            p += 46 + name + extra + comment
        }
    }

    private static func bounds(_ at: Int, _ length: Int, _ limit: Int) throws {
        let (end, overflow) = at.addingReportingOverflow(length)
        guard at >= 0, length >= 0, !overflow, end <= limit else { throw UnpicklingError(description: "a zip record outside the file") }
    }
}
