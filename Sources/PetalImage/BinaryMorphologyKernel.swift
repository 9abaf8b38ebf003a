// Bit-parallel binary morphology: a mask is packed 64 pixels to a UInt64 word, and erosion (AND) or
// dilation (OR) over the footprint's horizontal runs works on whole words. The run decomposition is the
// one of MorphologyKernel.swift: the sliding-window AND of each run length by doubling (log₂ L word
// passes, so long runs stay cheap without van Herk's block bookkeeping), one table per distinct
// (length, offset) already shifted into alignment with the output words, then one word AND per run.
// Each operation handles 64 pixels; opening and closing stay packed between their two steps.

/// A mask packed LSB-first, 64 pixels per word, with `margin` spare words on both sides of every row so
/// that border pixels can be set without shifting the row.
struct PackedMask {
    let height: Int
    let width: Int
    /// Spare words on each side of a row.
    let margin: Int
    /// Words per row: margin + data + margin + 1 slack word for reads past the end.
    let stride: Int
    var words: [UInt64]

    var dataWords: Int { (width + 63) / 64 }

    init(height: Int, width: Int, margin: Int) {
        self.height = height
        self.width = width
        self.margin = margin
        self.stride = 2 * margin + (width + 63) / 64 + 1
        self.words = [UInt64](repeating: 0, count: height * stride)
    }

    /// Packs 0/1 bytes (a Bool mask's memory).
    init(bytes: UnsafePointer<UInt8>, height: Int, width: Int, margin: Int) {
        self.init(height: height, width: width, margin: margin)
        let fullWords = width / 64
        let stride = self.stride
        words.withUnsafeMutableBufferPointer { w in
            for y in 0..<height {
                let src = bytes + y * width
                let row = w.baseAddress! + y * stride + margin
                for wi in 0..<fullWords {
                    // Eight 0/1 bytes → eight bits: the multiply gathers byte j's low bit into bit 56 + j.
                    // The word is built in a register; or-ing into memory would chain eight store→load waits.
                    var word: UInt64 = 0
                    let p = UnsafeRawPointer(src + 64 * wi)
                    for j in 0..<8 {
                        let v = p.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self)
                        word |= ((v &* 0x0102_0408_1020_4080) &>> 56) &<< UInt64(8 * j)
                    }
                    row[wi] = word
                }
                for x in (fullWords * 64)..<width where src[x] != 0 { row[x >> 6] |= 1 << UInt64(x & 63) }
            }
        }
    }

    /// Writes the pixels back as 0/1 bytes.
    func unpack(into bytes: UnsafeMutablePointer<UInt8>) {
        let fullWords = width / 64
        words.withUnsafeBufferPointer { w in
            Self.spread.withUnsafeBufferPointer { spread in
                let table = spread.baseAddress!
                for y in 0..<height {
                    let dst = bytes + y * width
                    let row = w.baseAddress! + y * stride + margin
                    for wi in 0..<fullWords {
                        let word = row[wi]
                        let p = UnsafeMutableRawPointer(dst + 64 * wi)
                        for j in 0..<8 {
                            p.storeBytes(of: table[Int(truncatingIfNeeded: (word &>> UInt64(8 * j)) & 0xFF)], toByteOffset: 8 * j, as: UInt64.self)
                        }
                    }
                    for x in (fullWords * 64)..<width { dst[x] = UInt8((row[x >> 6] >> UInt64(x & 63)) & 1) }
                }
            }
        }
    }

    /// For each byte value, eight bytes holding its bits (little-endian: bit j → byte j).
    static let spread: [UInt64] = (0..<256).map { (v: Int) -> UInt64 in
        var word: UInt64 = 0
        for j in 0..<8 where (v >> j) & 1 != 0 { word |= UInt64(1) << UInt64(8 * j) }
        return word
    }

    /// AND (erosion) or OR (dilation) over the runs; pixels outside the mask read as `border`.
    ///
    /// Rows are laid out back to back with their margin words, and a margin word always holds the border
    /// value, so a shifted read that runs off the end of one row picks up border bits from the next row's
    /// margin, which is what that position must see anyway. Each step is therefore one long loop over the
    /// whole padded image rather than a short loop per row.
    func filtered(runs: [MorphologyRun], isAnd: Bool, border: Bool) -> PackedMask {
        let top = max(0, -runs.map(\.dy).min()!), bottom = max(0, runs.map(\.dy).max()!)
        precondition(max(-runs.map(\.dx).min()!, runs.map { $0.dx + $0.length - 1 }.max()!) <= 64 * margin, "margin too small for the footprint")
        let hp = height + top + bottom, stride = self.stride, margin = self.margin, height = self.height
        // One table per distinct (length, dx): the run's window AND already aligned to the output words,
        // so that the output stage is plain word ANDs without shifts.
        struct Key: Hashable, Comparable {
            let length: Int, dx: Int
            static func < (a: Key, b: Key) -> Bool { (a.length, a.dx) < (b.length, b.dx) }
        }
        let keys = Array(Set(runs.map { Key(length: $0.length, dx: $0.dx) })).sorted()
        let fill: UInt64 = border ? ~0 : 0
        let dataEnd = 64 * margin + width   // first bit right of the image in a row
        // Planes of hp rows plus slack rows, so that shifted reads past the last row stay in bounds (and read border).
        let slack = 2 * margin + 2
        let planeWords = (hp + slack) * stride
        let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: (3 + keys.count) * planeWords)
        defer { scratch.deallocate() }
        let padded = scratch, a = scratch + planeWords, b = scratch + 2 * planeWords, tables = scratch + 3 * planeWords
        let count = hp * stride   // words computed per plane
        // Only what is read before it is written needs the border value: the padded image's border rows,
        // and every plane's slack rows.
        padded.initialize(repeating: fill, count: top * stride)
        (padded + (top + height) * stride).initialize(repeating: fill, count: planeWords - (top + height) * stride)
        for plane in 1..<(3 + keys.count) { (scratch + plane * planeWords + count).initialize(repeating: fill, count: planeWords - count) }

        // 1. The padded image: border rows stay `fill`; image rows get their border bits set.
        words.withUnsafeBufferPointer { src in
            for y in 0..<height {
                let row = padded + (y + top) * stride
                row.update(from: src.baseAddress! + y * stride, count: stride)
                for i in 0..<margin { row[i] = fill }
                let lastWord = dataEnd >> 6, lastBits = UInt64(dataEnd & 63)
                if lastBits != 0 {
                    let keep: UInt64 = (1 << lastBits) - 1
                    row[lastWord] = (row[lastWord] & keep) | (fill & ~keep)
                } else {
                    row[lastWord] = fill
                }
                for i in (lastWord + 1)..<stride { row[i] = fill }
            }
        }

        // 2. Window ANDs by doubling, then one aligned table per key.
        var current = padded, k = 1
        for (ki, key) in keys.enumerated() {
            while 2 * k <= key.length {
                let next = current == a ? b : a
                combineShifted(next, current, shift: 0, current, shift: k, count: count, isAnd: isAnd)
                current = next
                k *= 2
            }
            let start = 64 * margin + key.dx
            combineShifted(tables + ki * planeWords, current, shift: start, current, shift: start + key.length - k,
                           count: count, isAnd: isAnd)
        }

        // 3. Output = op over runs of the table shifted by the run's row offset (whole rows at once).
        var out = PackedMask(height: height, width: width, margin: margin)
        out.words.withUnsafeMutableBufferPointer { ob in
            // Table word (row r, column j) sits at r·stride + j and serves output word (r − dy − top, margin + j).
            let o = ob.baseAddress! + margin
            let total = height * stride - margin
            for (r, run) in runs.enumerated() {
                let t = UnsafePointer(tables + keys.firstIndex(of: Key(length: run.length, dx: run.dx))! * planeWords + (run.dy + top) * stride)
                if r == 0 {
                    o.update(from: t, count: total)
                } else if isAnd {
                    for i in 0..<total { o[i] &= t[i] }
                } else {
                    for i in 0..<total { o[i] |= t[i] }
                }
            }
        }
        return out
    }
}

/// `dst[i] = op(bits 64·i + shiftX … of x, bits 64·i + shiftY … of y)` for `count` words. The double shift
/// `(w << 1) << (63 − s)` is `w << (64 − s)` for s in 1…63 and 0 for s = 0, without an overshift branch.
/// Reads reach one word past the last shifted word; rows carry a slack word for that.
@inline(__always)
private func combineShifted(_ dst: UnsafeMutablePointer<UInt64>, _ x: UnsafeMutablePointer<UInt64>, shift shiftX: Int,
                            _ y: UnsafeMutablePointer<UInt64>, shift shiftY: Int, count: Int, isAnd: Bool) {
    let p = x + (shiftX >> 6), pb = UInt64(shiftX & 63)
    let q = y + (shiftY >> 6), qb = UInt64(shiftY & 63)
    if isAnd {
        for i in 0..<count {
            dst[i] = ((p[i] &>> pb) | ((p[i &+ 1] &<< 1) &<< (63 &- pb))) & ((q[i] &>> qb) | ((q[i &+ 1] &<< 1) &<< (63 &- qb)))
        }
    } else {
        for i in 0..<count {
            dst[i] = ((p[i] &>> pb) | ((p[i &+ 1] &<< 1) &<< (63 &- pb))) | ((q[i] &>> qb) | ((q[i &+ 1] &<< 1) &<< (63 &- qb)))
        }
    }
}
