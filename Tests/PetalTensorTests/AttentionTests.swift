// The Vision Transformer's ops against Double twins and their central differences: batched matrix products (plain and
// with the second factor transposed), multi-head self-attention, patch tokens and the first token.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalTensor

@Suite struct AttentionTests {
    @Test(arguments: [false, true])
    func batchedMatmulMatchesTheTwin(transposing: Bool) throws {
        let (b, m, k, n) = (2, 3, 4, 5)
        let a = try randomTensor([b, m, k], seed: 41), other = try randomTensor(transposing ? [b, n, k] : [b, k, n], seed: 42)
        try checkGradients([a, other]) { t in try t[0].batchedMatmul(t[1], transposingOther: transposing) } reference: { v in
            grid(b, m, n) { i in total(k) { j in v[0][(i[0] * m + i[1]) * k + j] * v[1][transposing ? (i[0] * n + i[2]) * k + j : (i[0] * k + j) * n + i[2]] } }
        }
        #expect(throws: TensorError.self) { try a.batchedMatmul(a) }
    }

    /// nn.MultiheadAttention's computation in Double: stacked projections, per-head softmax(q·kᵀ/√w)·v, output projection.
    static func naiveAttention(_ x: [Double], n: Int, t: Int, d: Int, heads: Int, _ wIn: [Double], _ bIn: [Double], _ wOut: [Double], _ bOut: [Double]) -> [Double] {
        let width = d / heads
        func project(_ row: Int, _ o: Int) -> Double { bIn[o] + total(d) { wIn[o * d + $0] * x[row * d + $0] } }
        var joined = [Double](repeating: 0, count: n * t * d)
        for b in 0..<n {
            for h in 0..<heads {
                let q = (0..<t).map { i in (0..<width).map { project(b * t + i, h * width + $0) } }
                let k = (0..<t).map { i in (0..<width).map { project(b * t + i, d + h * width + $0) } }
                let v = (0..<t).map { i in (0..<width).map { project(b * t + i, 2 * d + h * width + $0) } }
                for i in 0..<t {
                    let scores = (0..<t).map { j in total(width) { q[i][$0] * k[j][$0] } / Double(width).squareRoot() }
                    let top = scores.max()!, e = scores.map { exp($0 - top) }, s = e.reduce(0, +)
                    for c in 0..<width { joined[(b * t + i) * d + h * width + c] = total(t) { e[$0] / s * v[$0][c] } }
                }
            }
        }
        return (0..<(n * t * d)).map { i in bOut[i % d] + total(d) { wOut[(i % d) * d + $0] * joined[(i / d) * d + $0] } }
    }

    @Test func selfAttentionMatchesTheTwin() throws {
        let (n, t, d, heads) = (2, 3, 4, 2)
        let x = try randomTensor([n, t, d], seed: 43), wIn = try randomTensor([3 * d, d], seed: 44, scale: 0.5), bIn = try randomTensor([3 * d], seed: 45)
        let wOut = try randomTensor([d, d], seed: 46, scale: 0.5), bOut = try randomTensor([d], seed: 47)
        try checkGradients([x, wIn, bIn, wOut, bOut]) { v in
            try v[0].selfAttention(inWeight: v[1], inBias: v[2], outWeight: v[3], outBias: v[4], heads: heads)
        } reference: { v in Self.naiveAttention(v[0], n: n, t: t, d: d, heads: heads, v[1], v[2], v[3], v[4]) }
        #expect(throws: TensorError.self) { try x.selfAttention(inWeight: wIn, inBias: bIn, outWeight: wOut, outBias: bOut, heads: 3) }
    }

    @Test func patchTokensAndTheFirstTokenMatchTheTwin() throws {
        let (n, d, h, w) = (2, 3, 2, 2)
        let x = try randomTensor([n, d, h, w], seed: 48), token = try randomTensor([1, 1, d], seed: 49), positions = try randomTensor([1, 5, d], seed: 50)
        try checkGradients([x, token, positions]) { v in try v[0].patchTokens(classToken: v[1], positions: v[2]) } reference: { v in
            grid(n, 5, d) { i in (i[1] == 0 ? v[1][i[2]] : v[0][(i[0] * d + i[2]) * h * w + i[1] - 1]) + v[2][i[1] * d + i[2]] }
        }
        let tokens = try randomTensor([n, 5, d], seed: 51)
        try checkGradients([tokens]) { v in try v[0].firstToken() } reference: { v in grid(n, d) { i in v[0][i[0] * 5 * d + i[1]] } }
        #expect(throws: TensorError.self) { try x.patchTokens(classToken: token, positions: token) }
    }
}
