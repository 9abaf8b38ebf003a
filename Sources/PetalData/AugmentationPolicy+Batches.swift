// Applying an ``AugmentationPolicy`` (PetalImage) to training batches: a checked policy, each image's draw as a
// function of the seed, epoch and sample only, and ONE composed warp (rotation · shift · shear · zoom · flips) of a
// cached 8-bit crop straight into the batch's planar Floats. Brightness follows the warp as a multiplication clipped
// to [0, 1] (Keras goes through PIL's ImageEnhance.Brightness, which also rounds to 8 bits; Petal keeps the Float
// precision).
import PetalImage

extension AugmentationPolicy {
    /// Checks the ranges.
    /// - Throws: ``DataError/invalidConfig(parameter:reason:)`` naming the bad setting.
    public func validate() throws {
        func bad(_ name: String, _ reason: String) -> DataError { .invalidConfig(parameter: "augmentation.\(name)", reason: reason) }
        for (name, v) in [("rotationRange", rotationRange), ("widthShiftRange", widthShiftRange),
                          ("heightShiftRange", heightShiftRange), ("shearRange", shearRange)] where !(v >= 0 && v.isFinite) {
            throw bad(name, "must be a finite value ≥ 0, got \(v)")
        }
        guard zoomRange.lowerBound > 0, zoomRange.upperBound.isFinite else {
            throw bad("zoomRange", "factors must be positive and finite, got \(zoomRange)")
        }
        if let b = brightnessRange, !(b.lowerBound >= 0 && b.upperBound.isFinite) {
            throw bad("brightnessRange", "factors must be finite and ≥ 0, got \(b)")
        }
        guard (0...1).contains(cval) else { throw bad("cval", "the constant fill must be in [0, 1], got \(cval)") }
        if let r = randomResizedCrop, !(r.lowerBound > 0 && r.upperBound <= 1) {
            throw bad("randomResizedCrop", "area fractions must be in (0, 1], got \(r)")
        }
    }

    /// The transform for image `sample` (its stable index in the data set) in `epoch`, copy `copy`: a function of
    /// the seed and these numbers only.
    public func parameters(seed: UInt64, epoch: Int, sample: Int, copy: Int = 0, height: Int, width: Int) -> KerasTransformParameters {
        var g = SeededDraws.generator(seed: seed, .augmentation, epoch, sample, copy)
        return self.sample(height: height, width: width, using: &g)
    }

    /// Warps `image` by the composed transform of `p` into `destination` (planar CHW, values in [0, 1]), then
    /// applies the brightness factor.
    /// - Parameters:
    ///   - image: the cached 8-bit crop.
    ///   - p: drawn parameters.
    ///   - destination: `image.height * image.width * image.channels` Floats.
    public func apply(_ p: KerasTransformParameters, to image: ByteImage, into destination: UnsafeMutableBufferPointer<Float>) {
        let m = AffineTransform2D.keras(p, height: image.height, width: image.width)
        // Converting to Float first and warping Floats is faster than PetalImage's 8-bit-source warp (which converts
        // each of the four neighbours of every sample), and gives exactly `image.toFloat().warped(...)`.
        image.toFloat().warp(inverseMap: m, into: destination, outputHeight: image.height, outputWidth: image.width,
                             layout: .planar, interpolation: .bilinear, border: border)
        if p.brightness != 1 {
            let f = Float(p.brightness)
            let n = image.height * image.width * image.channels
            for i in 0..<n { destination[i] = min(max(destination[i] * f, 0), 1) }
        }
    }
}
