// The scan: every file is read once, hashed and fully decoded (a header alone would miss truncated and corrupt
// files, which are exactly the ones that crash a Keras `Sequence` deep into an epoch). Files are checked on all
// cores with `concurrentPerform`; each result goes to its own slot, so the report is the same whatever the
// timing. The decoded crops can be handed to the loader's cache, so that the scan's decoding is not wasted.
import Foundation
import PetalImage

extension ImageFolder {
    /// Scans every file: readability, sizes, images smaller than the crop, byte-identical duplicates.
    /// - Parameter config: the crop size and small-image policy to check against.
    /// - Returns: the report; nothing is thrown for bad files, they are listed in it.
    public func inspect(config: DataConfig = DataConfig()) -> ScanReport {
        scan(preparer: ImagePreparer(config: config), keep: nil)
    }

    /// What the scan learned about one file.
    private enum Outcome {
        case image(height: Int, width: Int, small: Bool, usable: Bool, hash: UInt64, size: Int)
        case problem(String)
    }

    /// The scan, optionally passing each usable crop to `keep` (called concurrently, with the relative path).
    func scan(preparer: ImagePreparer, keep: (@Sendable (String, ByteImage) -> Void)?) -> ScanReport {
        let entries = files.enumerated().flatMap { label, list in list.map { (label, $0) } }
        var outcomes = [Outcome?](repeating: nil, count: entries.count)
        outcomes.withUnsafeMutableBufferPointer { slots in
            nonisolated(unsafe) let slots = slots   // each iteration writes only its own slot
            DispatchQueue.concurrentPerform(iterations: entries.count) { i in
                let relative = entries[i].1, full = path(relative)
                do {
                    let bytes = try ImagePreparer.read(full)
                    let image = try ImagePreparer.decode(bytes, path: full)
                    let crop = preparer.crop(image)
                    if let crop, let keep { keep(relative, crop) }
                    slots[i] = .image(height: image.height, width: image.width,
                                      small: preparer.isSmall(height: image.height, width: image.width), usable: crop != nil,
                                      hash: ContentHash.hash(bytes), size: bytes.count)
                } catch {
                    slots[i] = .problem(Self.reason(error, path: full))
                }
            }
        }

        var classScans: [ClassScan] = []
        var byContent: [ContentKey: [(path: String, label: Int)]] = [:]
        var start = 0
        for (label, list) in files.enumerated() {
            var usable: [String] = [], small: [String] = [], unreadable: [FileProblem] = []
            var sizes: [Pair: Int] = [:]
            for (k, relative) in list.enumerated() {
                switch outcomes[start + k]! {
                case .problem(let reason):
                    unreadable.append(FileProblem(path: relative, reason: reason))
                case .image(let h, let w, let isSmall, let isUsable, let hash, let size):
                    sizes[Pair(h: h, w: w), default: 0] += 1
                    if isSmall { small.append(relative) }
                    if isUsable {
                        usable.append(relative)
                        byContent[ContentKey(hash: hash, size: size), default: []].append((relative, label))
                    }
                }
            }
            start += list.count
            let sizeCounts = sizes.map { ImageSizeCount(height: $0.key.h, width: $0.key.w, count: $0.value) }
                .sorted { ($0.count, $1.height, $1.width) > ($1.count, $0.height, $0.width) }
            classScans.append(ClassScan(name: classes[label], label: label, fileCount: list.count, usable: usable,
                                        sizes: sizeCounts, smallerThanCrop: small, unreadable: unreadable))
        }
        let duplicates = byContent.values.filter { $0.count > 1 }
            .flatMap { confirmIdentical($0) }
            .sorted { $0.paths[0].utf8.lexicographicallyPrecedes($1.paths[0].utf8) }
        return ScanReport(root: rootPath, cropHeight: preparer.cropHeight, cropWidth: preparer.cropWidth,
                          smallImages: preparer.policy, classes: classScans, duplicates: duplicates, nestedFolders: nestedFolders)
    }

    /// Splits a group of equal hashes into groups of truly identical bytes (a hash collision is not a duplicate).
    private func confirmIdentical(_ candidates: [(path: String, label: Int)]) -> [DuplicateGroup] {
        var groups: [(bytes: Data?, members: [(path: String, label: Int)])] = []
        for c in candidates {
            let bytes = try? ImagePreparer.read(path(c.path))
            if let i = groups.firstIndex(where: { $0.bytes != nil && $0.bytes == bytes }) {
                groups[i].members.append(c)
            } else {
                groups.append((bytes, [c]))
            }
        }
        return groups.filter { $0.members.count > 1 }.map { g in
            let labels = Set(g.members.map(\.label)).sorted()
            return DuplicateGroup(paths: g.members.map(\.path), classes: labels.map { classes[$0] }, acrossSplit: false)
        }
    }

    /// A one-line reason: the decoder's message without the path it starts with (the report names the path).
    static func reason(_ error: Error, path: String) -> String {
        let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }

    private struct Pair: Hashable { let h: Int, w: Int }
    private struct ContentKey: Hashable { let hash: UInt64, size: Int }
}

/// A fast 64-bit content hash (FNV-1a style over 8-byte words): equal hashes are only candidates, confirmed
/// by comparing the bytes, so its quality needs only to keep collisions rare.
enum ContentHash {
    static func hash(_ data: Data) -> UInt64 {
        data.withUnsafeBytes { raw -> UInt64 in
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            let prime: UInt64 = 0x0000_0100_0000_01B3
            let words = raw.count / 8
            for i in 0..<words {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* prime
                h ^= h >> 29
            }
            for i in (words * 8)..<raw.count { h = (h ^ UInt64(raw[i])) &* prime }
            return SeededDraws.scramble(h ^ UInt64(raw.count))
        }
    }
}
