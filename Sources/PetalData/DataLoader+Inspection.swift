// Looking at what a loader feeds the network, outside the batch stream: per-channel statistics of its images
// (for a mean/std normalisation computed on the training set only, so validation does not leak into it) and single
// images exactly as an epoch would augment them (for the report's augmentation grids).
import PetalImage

extension DataLoader {
    /// Per-channel mean and standard deviation of the loader's crops, in [0, 1] units, un-augmented.
    /// Compute it on the training loader and pass it as ``NormalisationPolicy/meanStd(mean:std:)``.
    /// - Throws: ``DataError/classUnreadable(name:lastFile:reason:)`` if a whole class no longer decodes.
    public func channelStatistics() throws -> NormalisationPolicy {
        var sum = [Double](repeating: 0, count: 3), squares = [Double](repeating: 0, count: 3)
        var count = 0
        for s in samples.indices {
            let image = try crop(for: s)
            image.pixels.withUnsafeBufferPointer { p in
                for i in stride(from: 0, to: p.count, by: 3) {
                    for c in 0..<3 {
                        let v = Double(p[i + c]) / 255
                        sum[c] += v
                        squares[c] += v * v
                    }
                }
            }
            count += image.pixelCount
        }
        guard count > 0 else { return .meanStd(mean: [0, 0, 0], std: [1, 1, 1]) }
        let n = Double(count)
        let mean = sum.map { $0 / n }
        // A constant channel would give std 0 and a division by zero: fall back to 1 for it.
        let std = zip(squares, mean).map { sq, m in (max(sq / n - m * m, 0)).squareRoot() }.map { $0 > 1e-6 ? $0 : 1 }
        return .meanStd(mean: mean.map(Float.init), std: std.map(Float.init))
    }

    /// Sample `sample` as epoch `epoch` shows it (augmented when the loader augments; `copy` 1 is the appended copy
    /// when doubling), as an interleaved Float image in [0, 1] before normalisation.
    /// - Throws: ``DataError/invalidConfig(parameter:reason:)`` for an index out of range, or
    ///   ``DataError/classUnreadable(name:lastFile:reason:)``.
    public func preview(sample: Int, epoch: Int, copy: Int = 0) throws -> FloatImage {
        guard samples.indices.contains(sample) else {
            throw DataError.invalidConfig(parameter: "sample", reason: "\(sample) is outside 0..<\(samples.count)")
        }
        let image = try crop(for: sample)
        guard augments, let policy = config.augmentation, copy == 1 || !doubles else { return image.toFloat() }
        let h = image.height, w = image.width, c = image.channels, plane = h * w
        var planar = [Float](repeating: 0, count: plane * c)
        let p = policy.parameters(seed: config.seed, epoch: epoch, sample: sample, copy: copy, height: h, width: w)
        planar.withUnsafeMutableBufferPointer { policy.apply(p, to: image, into: $0) }
        var pixels = [Float](repeating: 0, count: plane * c)
        for ch in 0..<c { for i in 0..<plane { pixels[i * c + ch] = planar[ch * plane + i] } }
        return try FloatImage(height: h, width: w, channels: c, pixels: pixels)
    }
}
