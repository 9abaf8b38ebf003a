// Seeded randomness: one generator, passed explicitly to everything random, so runs are reproducible.
// Shared by PetalTensor (weights, dropout) and PetalImage (noise, augmentation draws), which both re-export it.
import Foundation

/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64); identical on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Codable, Equatable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal sample as Double (Box–Muller, u1 in (0, 1] so the logarithm stays finite).
    public mutating func nextGaussian() -> Double {
        let u1 = 1 - nextUnit(), u2 = nextUnit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2)
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A standard normal sample (Box–Muller; one of the pair is discarded to keep the state simple).
    public mutating func nextNormal() -> Float {
        let u1 = Double(next() >> 11) * 0x1p-53 + 0x1p-54, u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    public static func == (a: Self, b: Self) -> Bool { a.s == b.s }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        s = (try c.decode(UInt64.self), try c.decode(UInt64.self), try c.decode(UInt64.self), try c.decode(UInt64.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(s.0); try c.encode(s.1); try c.encode(s.2); try c.encode(s.3)
    }
}
