// Channel split / merge and colour → grey, with scikit-image's `rgb2gray` weights
// (ITU-R BT.709 luma: 0.2125 R + 0.7154 G + 0.0721 B, on values scaled to [0, 1]).

extension Image {
    /// One channel as a single-channel image (`image[..., c]`).
    /// - Parameter c: channel index, 0 ..< `channels`.
    @inlinable
    public func channel(_ c: Int) -> Image<Pixel> {
        precondition(c >= 0 && c < channels, "channel \(c) out of range 0..<\(channels)")
        if channels == 1 { return self }
        var out = [Pixel](repeating: .blank, count: pixelCount)
        pixels.withUnsafeBufferPointer { src in
            for i in 0..<pixelCount { out[i] = src[i * channels + c] }
        }
        return Image(unchecked: out, height: height, width: width, channels: 1)
    }

    /// Every channel as its own single-channel image (R, G, B for an RGB image).
    @inlinable
    public func splitChannels() -> [Image<Pixel>] { (0..<channels).map(channel) }

    /// Stacks single-channel images of equal size into one multi-channel image (`np.dstack`).
    /// - Parameter planes: one or more images of the same height and width, each with one channel.
    /// - Throws: ``ImageError/shapeMismatch(parameter:expected:actual:)`` when sizes differ or a plane has several channels.
    public static func merging(_ planes: [Image<Pixel>]) throws -> Image<Pixel> {
        guard let first = planes.first else {
            throw ImageError.invalidParameter(name: "planes", reason: "needs at least one channel image")
        }
        for (i, p) in planes.enumerated() where p.height != first.height || p.width != first.width || p.channels != 1 {
            throw ImageError.shapeMismatch(parameter: "planes[\(i)]", expected: "\(first.height)×\(first.width)×1",
                                           actual: "\(p.height)×\(p.width)×\(p.channels)")
        }
        let n = planes.count
        var out = [Pixel](repeating: .blank, count: first.pixelCount * n)
        for (c, p) in planes.enumerated() {
            for i in 0..<first.pixelCount { out[i * n + c] = p.pixels[i] }
        }
        return Image(unchecked: out, height: first.height, width: first.width, channels: n)
    }

    /// Grey → RGB by replication; other layouts keep their first three channels
    /// (grey + alpha gives grey replicated, RGBA drops alpha).
    @inlinable
    public func replicatedToRGB() -> Image<Pixel> {
        switch channels {
        case 3: return self
        case 1, 2:
            var out = [Pixel](repeating: .blank, count: pixelCount * 3)
            for i in 0..<pixelCount {
                let v = pixels[i * channels]
                out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
            }
            return Image(unchecked: out, height: height, width: width, channels: 3)
        default:
            var out = [Pixel](repeating: .blank, count: pixelCount * 3)
            for i in 0..<pixelCount {
                for c in 0..<3 { out[3 * i + c] = pixels[i * channels + c] }
            }
            return Image(unchecked: out, height: height, width: width, channels: 3)
        }
    }
}

/// scikit-image's `rgb2gray` coefficients for R, G and B.
public let rgbToGreyWeights: (red: Float, green: Float, blue: Float) = (0.2125, 0.7154, 0.0721)

extension Image where Pixel == UInt8 {
    /// Luma in [0, 1] (scikit-image's `rgb2gray`, which first scales 8-bit values to [0, 1]).
    /// A 1-channel image is only scaled. Alpha (a 4th channel) is ignored.
    public func toGrey() -> Image<Float> { toFloat().toGrey() }
}

extension Image where Pixel == Float {
    /// Luma `0.2125 R + 0.7154 G + 0.0721 B` (scikit-image's `rgb2gray`); a 1- or 2-channel image returns its first channel.
    public func toGrey() -> Image<Float> {
        if channels < 3 { return channel(0) }
        var out = [Float](repeating: 0, count: pixelCount)
        let (wr, wg, wb) = rgbToGreyWeights
        pixels.withUnsafeBufferPointer { src in
            for i in 0..<pixelCount {
                let p = i * channels
                out[i] = wr * src[p] + wg * src[p + 1] + wb * src[p + 2]
            }
        }
        return Image(unchecked: out, height: height, width: width, channels: 1)
    }
}
