import Foundation
import CDNNL
import PetalTestSupport
import Testing
@testable import PetalTensor

/// Broadcast-aware Double reference: applies `f` over the broadcast of two row-major arrays.
func referenceBroadcast(_ a: [Double], _ sa: [Int], _ b: [Double], _ sb: [Int], _ f: (Double, Double) -> Double) -> [Double] {
    let shape = try! Broadcast.shape(sa, sb, op: "test")
    let ta = Broadcast.strides(of: sa, in: shape), tb = Broadcast.strides(of: sb, in: shape)
    return (0..<shape.reduce(1, *)).map { flat in
        var rest = flat, ia = 0, ib = 0
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            let k = rest % shape[axis]; rest /= shape[axis]
            ia += k * ta[axis]; ib += k * tb[axis]
        }
        return f(a[ia], b[ib])
    }
}

@Suite struct ElementwiseTests {
    static let shapePairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3, 4], [3, 1]), ([4], [2, 1, 4]), ([2, 3], [])]

    @Test(arguments: shapePairs)
    func arithmeticBroadcastsAndDifferentiates(shapes: ([Int], [Int])) throws {
        let (sa, sb) = shapes
        let a = try randomTensor(sa, seed: 31), b = try randomTensor(sb, seed: 32) * 0.3 + 2  // b away from 0 for ÷
        try checkGradients([a, b]) { t in try t[0] + t[1] } reference: { v in referenceBroadcast(v[0], sa, v[1], sb, +) }
        try checkGradients([a, b]) { t in try t[0] - t[1] } reference: { v in referenceBroadcast(v[0], sa, v[1], sb, -) }
        try checkGradients([a, b]) { t in try t[0] * t[1] } reference: { v in referenceBroadcast(v[0], sa, v[1], sb, *) }
        try checkGradients([a, b]) { t in try t[0] / t[1] } reference: { v in referenceBroadcast(v[0], sa, v[1], sb, /) }
    }

    @Test func unaryFunctionsDifferentiate() throws {
        let x = try randomTensor([3, 4], seed: 33)
        let positive = try x * x + 0.5
        try checkGradients([x]) { t in try t[0].exp() } reference: { v in v[0].map { Foundation.exp($0) } }
        try checkGradients([positive]) { t in try t[0].log() } reference: { v in v[0].map { Foundation.log($0) } }
        try checkGradients([x]) { t in -t[0] } reference: { v in v[0].map { -$0 } }
        try checkGradients([x]) { t in try t[0].relu() } reference: { v in v[0].map { max($0, 0) } }
        try checkGradients([x]) { t in try t[0].squared() } reference: { v in v[0].map { $0 * $0 } }
    }

    @Test func reluRunsInBlockedLayoutWithoutReorder() throws {
        let x = try randomTensor([2, 16, 5, 5], seed: 34)
        let y = try x.conv2d(weight: randomTensor([16, 16, 3, 3], seed: 35, scale: 0.2), padding: 1)
        let r = try y.relu()
        #expect(!r.storage.isPlain)
        expectClose(r.scalars, y.scalars.map { Double(max($0, 0)) }, rtol: 0, atol: 0)
    }

    @Test func smallPrimitivesRunOnTheCallingThreadAndLeaveThePoolAsItWas() throws {
        let threads = Device.default.threads
        for (shape, small) in [([1, 16, 8, 8], true), ([8, 64, 32, 32], false)] {
            let x = try randomTensor(shape, seed: 36)
            let r = try x.relu()
            expectClose(r.scalars, x.scalars.map { Double(max($0, 0)) }, rtol: 0, atol: 0)
            let key = PrimitiveKey("relu_fwd", x.storage.preferredMemory(dims: shape).desc)
            let primitive = try Device.default.cache.primitive(key) { throw TensorError.backend("relu of \(shape) was not cached") }
            #expect(primitive.singleThreaded == small, "\(shape): \(Primitive.bytesMoved(primitive.pd)) bytes")
            // Conversions follow the same rule.
            let blocked = MemoryDesc(dims: shape, tag: dnnl_aBcd16b)
            let converted = x.storage.memory(blocked)
            let reorder = try Device.default.cache.primitive(PrimitiveKey("reorder", .plain(shape), blocked)) { throw TensorError.backend("reorder of \(shape) was not cached") }
            #expect(reorder.singleThreaded == small)
            expectClose(try Tensor(shape: shape, storage: Storage(memory: converted, count: x.count)).scalars, x.scalars.map(Double.init), rtol: 0, atol: 0)
            #expect(Device.default.threads == threads)
        }
    }

    @Test func incompatibleShapesThrowNamingBothShapes() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4])
        #expect(throws: TensorError.self) { try a + b }
        #expect(throws: TensorError.self) { try a * b }
        do { _ = try a - b; Issue.record("expected an error") } catch {
            #expect(error.localizedDescription == "subtract: shapes [2, 3] and [4] cannot be broadcast together")
        }
    }

    @Test func blockedResidualSumMatchesPlainSum() throws {
        let w = try randomTensor([16, 16, 1, 1], seed: 36)
        let x = try randomTensor([1, 16, 3, 3], seed: 37)
        let a = try x.conv2d(weight: w), b = try a.conv2d(weight: w)
        let s = try a + b
        #expect(!s.storage.isPlain)
        expectClose(s.scalars, zip(a.scalars, b.scalars).map { Double($0 + $1) }, rtol: 0, atol: 0)
    }
}

@Suite struct ReductionAndMatrixTests {
    @Test func sumAndMeanOverAxes() throws {
        let x = try randomTensor([2, 3, 4], seed: 41)
        try checkGradients([x]) { t in try t[0].sum(alongAxes: [1]) } reference: { v in
            grid(2, 4) { ik in total(3) { j in v[0][(ik[0] * 3 + j) * 4 + ik[1]] } }
        }
        try checkGradients([x]) { t in try t[0].mean(alongAxes: [0, -1], keepingDimensions: true) } reference: { v in
            grid(3) { j in total(2) { i in total(4) { k in v[0][(i * 3 + j[0]) * 4 + k] } } / 8 }
        }
        #expect(try x.sum(alongAxes: [1], keepingDimensions: true).shape == [2, 1, 4])
        let meanOfAll: Float = x.scalars.reduce(0, +) / 24
        #expect(try abs(x.mean().item() - meanOfAll) < 1e-6)
        #expect(throws: TensorError.self) { try x.sum(alongAxes: [3]) }
    }

    @Test func matmulAndLinear() throws {
        let a = try randomTensor([3, 5], seed: 42), b = try randomTensor([5, 2], seed: 43)
        try checkGradients([a, b]) { t in try t[0].matmul(t[1]) } reference: { v in
            grid(3, 2) { ij in total(5) { k in v[0][ij[0] * 5 + k] * v[1][k * 2 + ij[1]] } }
        }
        let w = try randomTensor([4, 5], seed: 44), bias = try randomTensor([4], seed: 45)
        try checkGradients([a, w, bias]) { t in try t[0].linear(weight: t[1], bias: t[2]) } reference: { v in
            grid(3, 4) { io in v[2][io[1]] + total(5) { k in v[0][io[0] * 5 + k] * v[1][io[1] * 5 + k] } }
        }
        do { _ = try a.matmul(a); Issue.record("expected an error") } catch {
            #expect(error.localizedDescription == "matmul: [3, 5] × [3, 5]: inner dimensions 5 and 3 differ")
        }
    }

    @Test func softmaxFamily() throws {
        let x = try randomTensor([3, 4], seed: 46, scale: 3)
        func logSoftmax(_ r: ArraySlice<Double>) -> [Double] {
            let m = r.max()!, lse = m + Foundation.log(r.reduce(0) { $0 + Foundation.exp($1 - m) })
            return r.map { $0 - lse }
        }
        let rows = { (v: [Double]) in (0..<3).map { v[($0 * 4)..<($0 * 4 + 4)] } }
        try checkGradients([x]) { t in try t[0].logSoftmax() } reference: { v in rows(v[0]).flatMap(logSoftmax) }
        try checkGradients([x]) { t in try t[0].softmax() } reference: { v in rows(v[0]).flatMap { logSoftmax($0).map { Foundation.exp($0) } } }
        let labels = [2, 0, 3]
        try checkGradients([x]) { t in try t[0].softmaxCrossEntropy(labels: labels) } reference: { v in
            [-zip(rows(v[0]), labels).reduce(0) { $0 + logSoftmax($1.0)[$1.1] } / 3]
        }
        let targets = try Tensor(shape: [3, 4], scalars: [0.1, 0.2, 0.7, 0, 1, 0, 0, 0, 0.25, 0.25, 0.25, 0.25])
        try checkGradients([x, targets]) { t in try t[0].softmaxCrossEntropy(targets: t[1]) } reference: { v in
            [-(0..<3).reduce(0) { acc, i in acc + zip(logSoftmax(rows(v[0])[i]), v[1][(i * 4)..<(i * 4 + 4)]).reduce(0) { $0 + $1.0 * $1.1 } } / 3]
        }
    }

    @Test func crossEntropyIsStableForLargeLogits() throws {
        let x = try Tensor(shape: [2, 3], scalars: [1000, 0, -1000, -500, 500, 499])
        let loss = try x.requiringGradient().softmaxCrossEntropy(labels: [0, 2])
        // Row 1: log-sum-exp ≈ 500 + log(1 + e⁻¹) so the loss term is 1 + log(1 + e⁻¹); row 0 is 0.
        let expected = (1 + Foundation.log(1 + Foundation.exp(-1.0))) / 2
        #expect(abs(Double(try loss.item()) - expected) < 1e-5)
        #expect(try loss.item().isFinite)
        #expect(throws: TensorError.self) { try x.softmaxCrossEntropy(labels: [0, 3]) }
        #expect(throws: TensorError.self) { try x.softmaxCrossEntropy(labels: [0]) }
    }
}

@Suite struct ShapingTests {
    @Test func reshapePermuteTranspose() throws {
        let x = try randomTensor([2, 3, 4], seed: 51)
        #expect(try x.reshaped([6, -1]).shape == [6, 4])
        #expect(try x.reshaped([4, 6]).scalars == x.scalars)
        #expect(throws: TensorError.self) { try x.reshaped([5, -1]) }
        #expect(throws: TensorError.self) { try x.permuted([0, 0, 1]) }
        try checkGradients([x]) { t in try t[0].permuted([2, 0, 1]) } reference: { v in
            grid(4, 2, 3) { kij in v[0][(kij[1] * 3 + kij[2]) * 4 + kij[0]] }
        }
        try checkGradients([x]) { t in try t[0].reshaped([3, 8]).transposed() } reference: { v in
            grid(8, 3) { cr in v[0][cr[1] * 8 + cr[0]] }
        }
    }

    @Test func sliceAndConcatenate() throws {
        let a = try randomTensor([3, 2, 2], seed: 52), b = try randomTensor([1, 2, 2], seed: 53)
        try checkGradients([a]) { t in try t[0].slice(batch: 1..<3) } reference: { v in Array(v[0][4..<12]) }
        try checkGradients([a, b]) { t in try Tensor.concatenate([t[0], t[1]], alongAxis: 0) } reference: { v in v[0] + v[1] }
        let c = try randomTensor([3, 1, 2], seed: 54)
        try checkGradients([a, c]) { t in try Tensor.concatenate([t[0], t[1]], alongAxis: 1) } reference: { v in
            grid(3, 6) { ij in ij[1] < 4 ? v[0][ij[0] * 4 + ij[1]] : v[1][ij[0] * 2 + ij[1] - 4] }
        }
        #expect(throws: TensorError.self) { try Tensor.concatenate([a, c], alongAxis: 0) }
        #expect(throws: TensorError.self) { try a.slice(batch: 2..<4) }
    }
}

@Suite struct BinaryCrossEntropyTests {
    @Test func sigmoidCrossEntropyIsStableAndDifferentiates() throws {
        let x = try Tensor(shape: [2, 3], scalars: [0.5, -1.2, 3, 40, -40, 0])
        let t = try Tensor(shape: [2, 3], scalars: [1, 0, 1, 0, 1, 0.25])
        func reference(_ v: [[Double]]) -> [Double] {
            [zip(v[0], v[1]).reduce(0) { acc, xt in
                let (x, t) = xt
                // log σ(x) and log(1 − σ(x)) written stably for the check as well.
                let logP = x >= 0 ? -Foundation.log1p(Foundation.exp(-x)) : x - Foundation.log1p(Foundation.exp(x))
                let logQ = x >= 0 ? -x - Foundation.log1p(Foundation.exp(-x)) : -Foundation.log1p(Foundation.exp(x))
                return acc - (t * logP + (1 - t) * logQ)
            } / 6]
        }
        try checkGradients([x, t], petal: { v in try v[0].sigmoidCrossEntropy(targets: v[1]) }, reference: reference)
        #expect(throws: TensorError.self) { try x.sigmoidCrossEntropy(targets: Tensor.zeros([3, 2])) }
    }
}
