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
func runFilter<T: Comparable>(_ src: UnsafePointer<T>, height: Int, width: Int, runs: [MorphologyRun],
                              isMin: Bool, pad: PadRule<T>, into dst: UnsafeMutablePointer<T>) {
    precondition(!runs.isEmpty)
    let top = max(0, -runs.map(\.dy).min()!), bottom = max(0, runs.map(\.dy).max()!)
    let left = max(0, -runs.map(\.dx).min()!), right = max(0, runs.map { $0.dx + $0.length - 1 }.max()!)
    let hp = height + top + bottom, wp = width + left + right
    let lengths = Array(Set(runs.map(\.length))).sorted()
    var constant: T? = nil
    if case .constant(let c) = pad { constant = c }
    // Source column for each padded column; -1 marks the constant border.
    let colMap = (0..<wp).map { pad.sourceIndex($0 - left, width) ?? -1 }

    // One allocation: the padded row, two doubling scratch rows, and one table per distinct run length.
    let scratch = UnsafeMutablePointer<T>.allocate(capacity: 3 * wp + lengths.count * hp * wp)
    defer { scratch.deallocate() }
    let row = scratch, scratchA = scratch + wp, scratchB = scratch + 2 * wp, tables = scratch + 3 * wp

    // 1. Row by row: pad, then the sliding-window extremum of every run length.
    for yp in 0..<hp {
        if let sy = pad.sourceIndex(yp - top, height) {
            let s = src + sy * width
            for xp in 0..<left { row[xp] = colMap[xp] < 0 ? constant! : s[colMap[xp]] }
            (row + left).update(from: s, count: width)
            for xp in (left + width)..<wp { row[xp] = colMap[xp] < 0 ? constant! : s[colMap[xp]] }
        } else {
            row.update(repeating: constant!, count: wp)
        }
        var current = row, k = 1
        for (li, length) in lengths.enumerated() {
            let table = tables + (li * hp + yp) * wp
            if length > 16 {
                vanHerkRow(row, into: table, width: wp, window: length, prefix: scratchA, suffix: scratchB, isMin: isMin)
                continue
            }
            while 2 * k <= length {
                let next = current == scratchA ? scratchB : scratchA
                combine(next, current, current + k, count: wp - 2 * k + 1, isMin: isMin)
                current = next
                k *= 2
            }
            combine(table, current, current + (length - k), count: wp - length + 1, isMin: isMin)
        }
    }

    // 2. Output row = extremum over the runs of the shifted table rows, three runs per pass
    //    (fewer loads and stores of the output row than one pass per run).
    let starts = runs.map { r in UnsafePointer(tables + lengths.firstIndex(of: r.length)! * hp * wp + (r.dy + top) * wp + left + r.dx) }
    for y in 0..<height {
        let o = dst + y * width, rowOffset = y * wp
        var r = 0
        while r < starts.count {
            let a = starts[r] + rowOffset
            let b = r + 1 < starts.count ? starts[r + 1] + rowOffset : a
            let c = r + 2 < starts.count ? starts[r + 2] + rowOffset : b
            if r == 0 {
                combine3(o, a, b, c, count: width, isMin: isMin)
            } else {
                combine4(o, a, b, c, count: width, isMin: isMin)
            }
            r += 3
        }
    }
}

/// `dst[x] = op(a[x], b[x])` for `count` values. Vectorises for UInt8 and Float.
@inline(__always)
private func combine<T: Comparable>(_ dst: UnsafeMutablePointer<T>, _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, count: Int, isMin: Bool) {
    guard count > 0 else { return }
    if isMin {
        for x in 0..<count { dst[x] = min(a[x], b[x]) }
    } else {
        for x in 0..<count { dst[x] = max(a[x], b[x]) }
    }
}

/// `dst[x] = op(a[x], b[x], c[x])`.
@inline(__always)
private func combine3<T: Comparable>(_ dst: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafePointer<T>, count: Int, isMin: Bool) {
    if isMin {
        for x in 0..<count { dst[x] = min(min(a[x], b[x]), c[x]) }
    } else {
        for x in 0..<count { dst[x] = max(max(a[x], b[x]), c[x]) }
    }
}

/// `dst[x] = op(dst[x], a[x], b[x], c[x])`.
@inline(__always)
private func combine4<T: Comparable>(_ dst: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>, _ c: UnsafePointer<T>, count: Int, isMin: Bool) {
    if isMin {
        for x in 0..<count { dst[x] = min(min(dst[x], a[x]), min(b[x], c[x])) }
    } else {
        for x in 0..<count { dst[x] = max(max(dst[x], a[x]), max(b[x], c[x])) }
    }
}

/// van Herk / Gil–Werman for one row: window extremum M[x] = op(suffix[x], prefix[x + L − 1]) over blocks of length L.
@inline(__always)
private func vanHerkRow<T: Comparable>(_ src: UnsafeMutablePointer<T>, into out: UnsafeMutablePointer<T>, width: Int, window: Int,
                                       prefix: UnsafeMutablePointer<T>, suffix: UnsafeMutablePointer<T>, isMin: Bool) {
    let valid = width - window + 1
    guard valid > 0 else { return }
    @inline(__always) func op(_ a: T, _ b: T) -> T { isMin ? min(a, b) : max(a, b) }
    for x in 0..<width {
        prefix[x] = x % window == 0 ? src[x] : op(prefix[x - 1], src[x])
    }
    for x in stride(from: width - 1, through: 0, by: -1) {
        suffix[x] = (x % window == window - 1 || x == width - 1) ? src[x] : op(suffix[x + 1], src[x])
    }
    for x in 0..<valid { out[x] = op(suffix[x], prefix[x + window - 1]) }
}
