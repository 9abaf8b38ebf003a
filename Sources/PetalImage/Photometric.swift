// Photometric changes for augmentation: brightness and contrast scaling, additive Gaussian noise.
// Brightness scaling multiplies every value (PIL's ImageEnhance.Brightness, which Keras' `brightness_range`
// uses); contrast scaling moves values away from each channel's mean (tf.image.adjust_contrast).
// Random functions take any RandomNumberGenerator (the training run's one seeded generator, say) and are
// @inlinable, so that the generator's `next()` is specialised instead of called through a witness table.
// `SeededGenerator` (PetalRandom, re-exported) is the seeded generator for callers without one of their own.
import Foundation

/// A uniform Double in [0, 1) with 53 random bits.
@inlinable
func unitSample<G: RandomNumberGenerator>(_ g: inout G) -> Double { Double(g.next() >> 11) * 0x1p-53 }

/// A standard normal sample (Box–Muller; one of the pair is discarded to keep no state).
@inlinable
func gaussianSample<G: RandomNumberGenerator>(_ g: inout G) -> Double {
    let u1 = 1 - unitSample(&g), u2 = unitSample(&g)   // u1 in (0, 1]: log stays finite
    return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
}

extension Image where Pixel == Float {
    /// Every value multiplied by `factor` (1 = unchanged, 0 = black), clipped to [0, 1] unless `clip` is false.
    public func scaledBrightness(by factor: Float, clip: Bool = true) -> Image<Float> {
        pointwise(clip: clip) { $0 * factor }
    }

    /// `delta` added to every value, clipped to [0, 1] unless `clip` is false.
    public func shiftedBrightness(by delta: Float, clip: Bool = true) -> Image<Float> {
        pointwise(clip: clip) { $0 + delta }
    }

    /// Contrast scaled about each channel's mean: `(v − mean) · factor + mean` (1 = unchanged, 0 = flat grey).
    public func scaledContrast(by factor: Float, clip: Bool = true) -> Image<Float> {
        var means = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            var sum = 0.0
            for i in stride(from: c, to: pixels.count, by: channels) { sum += Double(pixels[i]) }
            means[c] = Float(sum / Double(pixelCount))
        }
        var out = pixels
        for i in 0..<out.count {
            let m = means[i % channels]
            let v = (out[i] - m) * factor + m
            out[i] = clip ? Swift.min(Swift.max(v, 0), 1) : v
        }
        return Image(unchecked: out, height: height, width: width, channels: channels)
    }

    /// Independent Gaussian noise added to every value.
    /// - Parameters:
    ///   - standardDeviation: σ of the noise, in image units (e.g. 0.05 for [0, 1] images).
    ///   - generator: the source of randomness (seed it for reproducible augmentation); it advances.
    ///   - clip: clip the result to [0, 1] (default true).
    @inlinable
    public func addingGaussianNoise<G: RandomNumberGenerator>(standardDeviation: Float, using generator: inout G, clip: Bool = true) -> Image<Float> {
        var out = pixels
        for i in 0..<out.count {
            let v = out[i] + standardDeviation * Float(gaussianSample(&generator))
            out[i] = clip ? Swift.min(Swift.max(v, 0), 1) : v
        }
        return Image(unchecked: out, height: height, width: width, channels: channels)
    }

    private func pointwise(clip: Bool, _ f: (Float) -> Float) -> Image<Float> {
        var out = pixels
        for i in 0..<out.count {
            let v = f(out[i])
            out[i] = clip ? Swift.min(Swift.max(v, 0), 1) : v
        }
        return Image(unchecked: out, height: height, width: width, channels: channels)
    }
}
