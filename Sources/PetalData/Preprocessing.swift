// Decoding, cropping and pixel writing, shared by the scan and the loader so that both see the same images.
// Crops are kept as 8-bit (a 100 × 100 × 3 crop is 30 KB, a quarter of its Float form) and turned into
// normalised planar Floats only when a batch is written.
import Foundation
import PetalImage

/// Turns a file into the 8-bit crop the loader caches.
struct ImagePreparer: Sendable {
    let cropHeight: Int
    let cropWidth: Int
    let policy: SmallImagePolicy
    let resize: Int?

    init(config: DataConfig) {
        cropHeight = config.cropHeight
        cropWidth = config.cropWidth
        policy = config.smallImages
        resize = config.resize
    }

    /// The whole file's bytes.
    /// - Throws: ``ImageError/fileAccess(path:reason:)``.
    static func read(_ path: String) throws -> Data {
        do { return try FileSystem.read(path) } catch let e as FileError {
            throw ImageError.fileAccess(path: path, reason: e.reason)
        }
    }

    /// Decodes bytes as RGB (grey is replicated and alpha dropped, so every image has 3 channels).
    static func decode(_ bytes: Data, path: String) throws -> ByteImage {
        try ImageCodec.decode(bytes, source: path, options: DecodeOptions(channels: .rgb))
    }

    /// Whether an image of this size is smaller than the crop in either direction (never, when every image is resized).
    func isSmall(height: Int, width: Int) -> Bool { resize == nil && (height < cropHeight || width < cropWidth) }

    /// The crop of a decoded image: resized first when the configuration says so, then by the small-image policy;
    /// `nil` when it is too small and the policy is `.skip`.
    func crop(_ image: ByteImage) -> ByteImage? {
        if let resize { return try? Self.resized(image, shortSide: resize).centreCropped(height: cropHeight, width: cropWidth) }
        if !isSmall(height: image.height, width: image.width) {
            return try? image.centreCropped(height: cropHeight, width: cropWidth)
        }
        switch policy {
        case .skip:
            return nil
        case .pad:
            return padded(image)
        case .resizeShortSide:
            // The smallest enlargement that covers the crop in both directions, then the usual centre crop.
            let scale = max(Double(cropHeight) / Double(image.height), Double(cropWidth) / Double(image.width))
            let h = max(cropHeight, Int((Double(image.height) * scale).rounded()))
            let w = max(cropWidth, Int((Double(image.width) * scale).rounded()))
            return try? image.resized(height: h, width: w, method: .bilinear).centreCropped(height: cropHeight, width: cropWidth)
        }
    }

    /// The image scaled so that its short side is `shortSide` pixels, the long side rounded (torchvision's `Resize(n)`);
    /// box-averaged when shrinking so that a photo several times the crop does not alias.
    static func resized(_ image: ByteImage, shortSide: Int) -> ByteImage {
        let scale = Double(shortSide) / Double(min(image.height, image.width))
        let h = image.height <= image.width ? shortSide : max(shortSide, Int((Double(image.height) * scale).rounded()))
        let w = image.width < image.height ? shortSide : max(shortSide, Int((Double(image.width) * scale).rounded()))
        return image.resized(height: h, width: w, method: .area)
    }

    /// Centred on a black canvas of the crop size (and centre-cropped along a side that is already long enough).
    func padded(_ image: ByteImage) -> ByteImage {
        var canvas = ByteImage(height: cropHeight, width: cropWidth, channels: image.channels)
        let c = image.channels
        // Offsets: where the source starts in the canvas (pad), or where the canvas starts in the source (crop).
        let rows = min(image.height, cropHeight), cols = min(image.width, cropWidth)
        let dstY = max(0, (cropHeight - image.height) / 2), dstX = max(0, (cropWidth - image.width) / 2)
        let srcY = max(0, (image.height - cropHeight) / 2), srcX = max(0, (image.width - cropWidth) / 2)
        for r in 0..<rows {
            let s = ((srcY + r) * image.width + srcX) * c, d = ((dstY + r) * cropWidth + dstX) * c
            canvas.pixels.replaceSubrange(d..<(d + cols * c), with: image.pixels[s..<(s + cols * c)])
        }
        return canvas
    }

    /// Reads, decodes and crops a file; `nil` when the policy skips it as too small.
    func load(_ path: String) throws -> ByteImage? {
        try crop(Self.decode(Self.read(path), path: path))
    }
}

/// Writing crops into a batch buffer.
enum PixelWriter {
    /// value / 255 for every byte, computed by division once so that batches hold exactly `Float(v) / 255`.
    private static let unitValues: [Float] = (0..<256).map { Float($0) / 255 }

    /// HWC bytes → CHW Floats in [0, 1].
    static func writePlanar(_ image: ByteImage, into dst: UnsafeMutableBufferPointer<Float>) {
        let c = image.channels, plane = image.height * image.width
        unitValues.withUnsafeBufferPointer { table in
            image.pixels.withUnsafeBufferPointer { src in
                for ch in 0..<c {
                    let out = dst.baseAddress! + ch * plane
                    var s = ch
                    for p in 0..<plane {
                        out[p] = table[Int(src[s])]
                        s += c
                    }
                }
            }
        }
    }

    /// Applies a mean/std normalisation in place to `count` planar images of `channels × plane` values.
    static func normalise(_ buffer: UnsafeMutableBufferPointer<Float>, policy: NormalisationPolicy, count: Int, channels: Int, plane: Int) {
        guard case .meanStd(let mean, let std) = policy else { return }
        for i in 0..<count {
            for ch in 0..<channels {
                let m = mean[ch], inv = 1 / std[ch]
                let base = buffer.baseAddress! + (i * channels + ch) * plane
                for p in 0..<plane { base[p] = (base[p] - m) * inv }
            }
        }
    }
}
