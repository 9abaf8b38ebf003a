import Testing
@testable import PetalTensor

@Suite struct AutodiffTests {
    @Test func gradientsOfATensorUsedTwiceAddUp() throws {
        let x = try Tensor(shape: [3], scalars: [1, 2, 3]).requiringGradient()
        try (x * x + x).sum().backward()  // d/dx (x² + x) = 2x + 1
        #expect(x.grad?.scalars == [3, 5, 7])
    }

    @Test func leafGradientsAccumulateAcrossBackwardCallsUntilZeroed() throws {
        let x = try Tensor(shape: [2], scalars: [1, -1]).requiringGradient()
        try (x * 3).sum().backward()
        try (x * 3).sum().backward()
        #expect(x.grad?.scalars == [6, 6])
        x.zeroGradient()
        #expect(x.grad == nil)
    }

    @Test func noGradientModeRecordsNothing() throws {
        let x = try Tensor.ones([2]).requiringGradient()
        let y = try withoutGradients { try x * 2 }
        #expect(!y.requiresGradient)
        #expect(throws: TensorError.self) { try y.sum().backward() }
    }

    @Test func aGraphCanBeWalkedOnlyOnce() throws {
        let x = try Tensor.ones([2]).requiringGradient()
        let loss = try (x * 2).sum()
        try loss.backward()
        #expect(throws: TensorError.self) { try loss.backward() }
    }

    @Test func backwardNeedsAScalarOrASeed() throws {
        let x = try Tensor.ones([2]).requiringGradient()
        let y = try x * 2
        #expect(throws: TensorError.self) { try y.backward() }
        try y.backward(seed: Tensor(shape: [2], scalars: [1, 10]))
        #expect(x.grad?.scalars == [2, 20])
    }

    @Test func deepChainsDoNotOverflowTheStack() throws {
        var y = try Tensor.ones([1]).requiringGradient()
        let x = y
        for _ in 0..<20_000 { y = try y + 0.5 }
        try y.sum().backward()
        #expect(x.grad?.scalars == [1])
        #expect(try y.item() == 10_001)
    }

    @Test func creationAndReadBack() throws {
        var g1 = SeededGenerator(seed: 9), g2 = SeededGenerator(seed: 9), g3 = SeededGenerator(seed: 10)
        let a = try Tensor.randomNormal([1000], generator: &g1), b = try Tensor.randomNormal([1000], generator: &g2)
        #expect(a.scalars == b.scalars)
        #expect(a.scalars != (try Tensor.randomNormal([1000], generator: &g3)).scalars)
        let m = a.scalars.reduce(0, +) / 1000, v = a.scalars.reduce(0) { $0 + ($1 - m) * ($1 - m) } / 1000
        #expect(abs(m) < 0.1 && abs(v - 1) < 0.1)
        let he = try Tensor.heNormal([64, 32, 3, 3], fan: 64 * 9, generator: &g1)
        let hv = he.scalars.reduce(0) { $0 + $1 * $1 } / Float(he.count)
        #expect(abs(hv - 2 / 576) / (2 / 576) < 0.05)
        let t = try Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(t[1, 2] == 5)
        #expect(throws: TensorError.self) { try Tensor(shape: [2, 3], scalars: [1]) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, -1]) }
        var g4 = SeededGenerator(seed: 1)
        let u = try Tensor.randomUniform([500], low: -2, high: 3, generator: &g4)
        #expect(u.scalars.allSatisfy { $0 >= -2 && $0 < 3 })
    }

    @Test func dropoutIsSeededAndScales() throws {
        let x = try Tensor.ones([10_000])
        var g1 = SeededGenerator(seed: 3), g2 = SeededGenerator(seed: 3)
        let a = try x.dropout(probability: 0.25, training: true, generator: &g1)
        let b = try x.dropout(probability: 0.25, training: true, generator: &g2)
        #expect(a.scalars == b.scalars)
        #expect(Set(a.scalars) == [0, Float(1) / 0.75])
        let dropped = Double(a.scalars.filter { $0 == 0 }.count) / 10_000
        #expect(abs(dropped - 0.25) < 0.02)
        #expect(try x.dropout(probability: 0.5, training: false, generator: &g1).scalars == x.scalars)
        #expect(throws: TensorError.self) { try x.dropout(probability: 1, training: true, generator: &g1) }
    }
}
