// Every random choice of the data layer derives from the run's seed through these helpers, so results are the
// same on every machine, with or without the background thread, whatever the timing.
// Each use gets its own generator seeded from (seed, purpose, indices) instead of sharing one stream: the
// augmentation of image 17 in epoch 3 then does not depend on how many draws other images made before it,
// so prefetching, caching and decode-failure replacements cannot shift anyone else's random numbers.
// Shuffles and bounded draws are written out here rather than taken from the standard library, whose
// algorithms (`shuffle(using:)`, `Int.random(in:using:)`) are not promised to stay the same between releases.

/// What a derived generator is for; part of its seed, so that different uses never share a stream.
enum DrawPurpose: UInt64 {
    case split = 1
    case epochOrder = 2
    case augmentation = 3
}

enum SeededDraws {
    /// SplitMix64's finaliser: a bijective scramble of 64 bits.
    static func scramble(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for one use, seeded from the run's seed, the purpose and any indices (class, epoch, image, copy).
    static func generator(seed: UInt64, _ purpose: DrawPurpose, _ indices: Int...) -> SeededGenerator {
        var h = scramble(seed ^ (purpose.rawValue &* 0xD1B5_4A32_D192_ED03))
        for i in indices { h = scramble(h ^ UInt64(bitPattern: Int64(i))) }
        return SeededGenerator(seed: h)
    }

    /// A uniform integer in 0..<n (Lemire's multiply-shift with rejection: unbiased, and fixed here for good).
    static func below(_ n: Int, using g: inout SeededGenerator) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var product = g.next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = g.next().multipliedFullWidth(by: bound) }
        }
        return Int(product.high)
    }

    /// Fisher–Yates shuffle in place.
    static func shuffle<T>(_ a: inout [T], using g: inout SeededGenerator) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = below(i + 1, using: &g)
            if i != j { a.swapAt(i, j) }
        }
    }
}
