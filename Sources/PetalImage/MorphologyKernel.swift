// Run-based min/max filtering, the engine of erosion and dilation.
//
// A footprint is split into horizontal runs (row offset dy, column offset dx, length L). The min (or max)
// over a run of length L starting at column x is a 1-D sliding-window extremum M_L[x], computed once per
// distinct L for the whole image; the output is then the min over the footprint's runs of M_L taken at the
// run's offset: a handful of vectorisable row passes instead of a footprint scan per pixel.
// Short windows use the doubling ("sparse table") construction M_2k[x] = op(M_k[x], M_k[x + k]) and
// M_L[x] = op(M_k[x], M_k[x + L − k]) for the largest power of two k ≤ L (min and max are idempotent,
// so the two windows may overlap). Long windows use the van Herk / Gil–Werman algorithm
// (M. van Herk, Pattern Recognition Letters 13(7), 1992; J. Gil and M. Werman, IEEE PAMI 15(5), 1993):
// block-wise prefix and suffix extrema, three comparisons per pixel whatever L is.
// Borders are handled once by padding the plane according to scipy.ndimage's modes.

/// How a filter sees pixels beyond the plane's edge (scipy.ndimage's names).
enum PadRule<T> {
    case constant(T)
    /// d c b a | a b c d | d c b a
    case reflect
    /// d c b | a b c d | c b a
    case mirror
    /// a a a | a b c d | d d d
    case nearest
    /// b c d | a b c d | a b c
    case wrap

    /// The source index for position `i` of a line of `n` values, or nil for a constant.
    func sourceIndex(_ i: Int, _ n: Int) -> Int? {
        if i >= 0 && i < n { return i }
        switch self {
        case .constant: return nil
        case .nearest: return i < 0 ? 0 : n - 1
        case .wrap: return ((i % n) + n) % n
        case .reflect:
            let period = 2 * n
            let m = ((i % period) + period) % period
            return m < n ? m : period - 1 - m
        case .mirror:
            if n == 1 { return 0 }
            let period = 2 * n - 2
            let m = ((i % period) + period) % period
            return m < n ? m : period - m
        }
    }
}

/// Min (`isMin`) or max filter of one `height × width` plane over a footprint given as runs.
/// - Parameters:
///   - src: the plane, row-major.
///   - dst: the output plane (may not alias `src`).
@inline(__always)
func runFilter<T: Comparable>(_ src: UnsafeBufferPointer<T>, height: Int, width: Int, runs: [MorphologyRun],
                              isMin: Bool, pad: PadRule<T>, into dst: UnsafeMutableBufferPointer<T>) {
    precondition(!runs.isEmpty)
    let top = max(0, -runs.map(\.dy).min()!), bottom = max(0, runs.map(\.dy).max()!)
    let left = max(0, -runs.map(\.dx).min()!), right = max(0, runs.map { $0.dx + $0.length - 1 }.max()!)
    let hp = height + top + bottom, wp = width + left + right

    // 1. Padded copy.
    var padded = [T](unsafeUninitializedCapacity: hp * wp) { buf, count in
        let colMap = (0..<wp).map { pad.sourceIndex($0 - left, width) }
        for yp in 0..<hp {
            let row = buf.baseAddress! + yp * wp
            guard let sy = pad.sourceIndex(yp - top, height) else {
                if case .constant(let c) = pad { row.initialize(repeating: c, count: wp) }
                continue
            }
            let s = src.baseAddress! + sy * width
            for xp in 0..<left { row[xp] = colMap[xp].map { s[$0] } ?? constantValue(pad) }
            (row + left).initialize(from: s, count: width)
            for xp in (left + width)..<wp { row[xp] = colMap[xp].map { s[$0] } ?? constantValue(pad) }
        }
        count = hp * wp
    }

    // 2. Sliding-window extrema for every distinct run length.
    let lengths = Array(Set(runs.map(\.length))).sorted()
    var tables: [Int: [T]] = [:]
    var power = padded, k = 1
    for length in lengths {
        if length > 16 {
            tables[length] = vanHerk(padded, rows: hp, width: wp, window: length, isMin: isMin)
            continue
        }
        while 2 * k <= length {
            var next = power
            combineRows(&next, power, rows: hp, width: wp, shift: k, valid: wp - 2 * k + 1, isMin: isMin)
            power = next
            k *= 2
        }
        if length == k {
            tables[length] = power
        } else {
            var table = power
            combineRows(&table, power, rows: hp, width: wp, shift: length - k, valid: wp - length + 1, isMin: isMin)
            tables[length] = table
        }
    }
    padded = []

    // 3. Output row = extremum over the runs of the shifted table rows.
    let out = dst.baseAddress!
    for y in 0..<height {
        let o = out + y * width
        for (r, run) in runs.enumerated() {
            tables[run.length]!.withUnsafeBufferPointer { t in
                let s = t.baseAddress! + (y + run.dy + top) * wp + left + run.dx
                if r == 0 {
                    o.update(from: s, count: width)
                } else if isMin {
                    for x in 0..<width { o[x] = min(o[x], s[x]) }
                } else {
                    for x in 0..<width { o[x] = max(o[x], s[x]) }
                }
            }
        }
    }
}

@inline(__always)
private func constantValue<T>(_ pad: PadRule<T>) -> T {
    if case .constant(let c) = pad { return c }
    fatalError("not a constant border")
}

/// `dst[x] = op(src[x], src[x + shift])` for the first `valid` columns of every row.
@inline(__always)
private func combineRows<T: Comparable>(_ dst: inout [T], _ src: [T], rows: Int, width: Int, shift: Int, valid: Int, isMin: Bool) {
    guard valid > 0 else { return }
    dst.withUnsafeMutableBufferPointer { d in
        src.withUnsafeBufferPointer { s in
            for y in 0..<rows {
                let dr = d.baseAddress! + y * width, a = s.baseAddress! + y * width, b = a + shift
                if isMin {
                    for x in 0..<valid { dr[x] = min(a[x], b[x]) }
                } else {
                    for x in 0..<valid { dr[x] = max(a[x], b[x]) }
                }
            }
        }
    }
}

/// van Herk / Gil–Werman: window extremum M[x] = op(suffix[x], prefix[x + L − 1]) over blocks of length L.
private func vanHerk<T: Comparable>(_ src: [T], rows: Int, width: Int, window: Int, isMin: Bool) -> [T] {
    var out = src
    let valid = width - window + 1
    guard valid > 0 else { return out }
    var prefix = [T](src.prefix(width)), suffix = prefix
    let op: (T, T) -> T = isMin ? { min($0, $1) } : { max($0, $1) }
    for y in 0..<rows {
        let base = y * width
        for x in 0..<width {
            prefix[x] = x % window == 0 ? src[base + x] : op(prefix[x - 1], src[base + x])
        }
        for x in stride(from: width - 1, through: 0, by: -1) {
            suffix[x] = (x % window == window - 1 || x == width - 1) ? src[base + x] : op(suffix[x + 1], src[base + x])
        }
        for x in 0..<valid { out[base + x] = op(suffix[x], prefix[x + window - 1]) }
    }
    return out
}
