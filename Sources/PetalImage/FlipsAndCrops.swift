// Flips and crops: pure index shuffles, the same for every pixel type. They are @inlinable because they are
// generic: called from another module (a data loader), unspecialised generic code would be several times slower.

extension Image {
    /// Mirrored left ↔ right (`np.fliplr`, `image[:, ::-1]`).
    @inlinable
    public func flippedHorizontally() -> Image<Pixel> {
        var out = pixels
        let rowLength = width * channels
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let base = y * rowLength
                    for x in 0..<width {
                        let s = base + x * channels, d = base + (width - 1 - x) * channels
                        for c in 0..<channels { dst[d + c] = src[s + c] }
                    }
                }
            }
        }
        return Image(unchecked: out, height: height, width: width, channels: channels)
    }

    /// Mirrored top ↔ bottom (`np.flipud`, `image[::-1]`).
    @inlinable
    public func flippedVertically() -> Image<Pixel> {
        var out = pixels
        let rowLength = width * channels
        for y in 0..<height {
            out.replaceSubrange((height - 1 - y) * rowLength..<(height - y) * rowLength, with: pixels[y * rowLength..<(y + 1) * rowLength])
        }
        return Image(unchecked: out, height: height, width: width, channels: channels)
    }

    /// The rectangle with top-left corner (`y`, `x`) (`image[y:y+height, x:x+width]`).
    /// - Throws: ``ImageError/invalidParameter(name:reason:)`` when the rectangle is empty or leaves the image.
    @inlinable
    public func cropped(y: Int, x: Int, height h: Int, width w: Int) throws -> Image<Pixel> {
        guard h > 0, w > 0, y >= 0, x >= 0, y + h <= height, x + w <= width else {
            throw ImageError.invalidParameter(name: "crop", reason: "rectangle y=\(y) x=\(x) \(h)×\(w) is empty or outside the \(height)×\(width) image")
        }
        var out: [Pixel] = []
        out.reserveCapacity(h * w * channels)
        for row in y..<(y + h) {
            out.append(contentsOf: pixels[(row * width + x) * channels..<(row * width + x + w) * channels])
        }
        return Image(unchecked: out, height: h, width: w, channels: channels)
    }

    /// The central `height × width` rectangle; the offset is `(H − height) / 2` rounded down
    /// (numpy slicing `image[(H-h)//2 : (H-h)//2 + h, …]`).
    /// - Throws: ``ImageError/invalidParameter(name:reason:)`` when the image is smaller than the crop.
    @inlinable
    public func centreCropped(height h: Int, width w: Int) throws -> Image<Pixel> {
        guard h <= height, w <= width else {
            throw ImageError.invalidParameter(name: "centre crop", reason: "\(h)×\(w) is larger than the \(height)×\(width) image")
        }
        return try cropped(y: (height - h) / 2, x: (width - w) / 2, height: h, width: w)
    }
}
