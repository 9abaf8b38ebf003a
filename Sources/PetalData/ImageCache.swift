// Decoded, cropped 8-bit images kept in memory, so that only the first epoch pays for JPEG decoding. One cache
// serves a data set's training and validation loaders (and is filled by the scan, which decodes every file
// anyway). Whether an image is cached or decoded again never changes its pixels, so a cache that fills up in a
// timing-dependent order cannot change a run's results, only its speed.
import Foundation
import PetalImage

/// Cropped 8-bit images by path, up to a memory budget; thread-safe.
public final class ImageCache: @unchecked Sendable {
    private let lock = NSLock()
    private var images: [String: ByteImage] = [:]
    private var used = 0
    /// The most pixel bytes the cache holds.
    public let budgetBytes: Int

    /// - Parameter budgetBytes: memory for pixels; 0 disables caching.
    public init(budgetBytes: Int) {
        self.budgetBytes = budgetBytes
    }

    /// The cached crop of `path`, if any.
    public func image(for path: String) -> ByteImage? {
        lock.lock(); defer { lock.unlock() }
        return images[path]
    }

    /// Keeps `image` when it fits in the budget.
    /// - Returns: whether it is cached now.
    @discardableResult
    public func insert(_ image: ByteImage, for path: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        if images[path] != nil { return true }
        let size = image.pixels.count
        guard used + size <= budgetBytes else { return false }
        images[path] = image
        used += size
        return true
    }

    /// Drops `path` (its file failed to decode again, so the cached copy may be stale).
    func remove(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        if let old = images.removeValue(forKey: path) { used -= old.pixels.count }
    }

    /// Number of cached images.
    public var count: Int {
        lock.lock(); defer { lock.unlock() }
        return images.count
    }

    /// Bytes of pixels held.
    public var usedBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return used
    }
}
