import Testing
@testable import PetalTensor

/// A recording replays the oneDNN work of one call; it must equal a direct call on every new input, and refuse
/// functions whose work on the input is not all in oneDNN.
@Suite struct RecordedFunctionTests {
    /// conv → ReLU (fused) → max pool → two residual blocks (conv + residual → ReLU, fused) → global average →
    /// linear: every kind of step a ResNet prediction records. The first block's residual is not read again, so its
    /// copy into the sum's output is dropped; the second adds the convolution's own input, so its copy stays.
    static func network() throws -> (Tensor) throws -> Tensor {
        var g = SeededGenerator(seed: 21)
        let w1 = try Tensor.randomNormal([16, 3, 3, 3], standardDeviation: 0.3, generator: &g), b1 = try Tensor.randomNormal([16], generator: &g)
        let w2 = try Tensor.randomNormal([16, 16, 3, 3], standardDeviation: 0.1, generator: &g)
        let w3 = try Tensor.randomNormal([16, 16, 3, 3], standardDeviation: 0.1, generator: &g)
        let w4 = try Tensor.randomNormal([16, 16, 3, 3], standardDeviation: 0.1, generator: &g)
        let fc = try Tensor.randomNormal([5, 16], generator: &g), fcBias = try Tensor.randomNormal([5], generator: &g)
        return { x in
            let h = try x.conv2dInference(weight: w1, bias: b1, padding: 1, relu: true).maxPool2d(kernel: 2)
            let a = try h.conv2dInference(weight: w2, padding: 1, relu: true)
            let y = try a.conv2dInference(weight: w3, padding: 1, adding: h, relu: true)
            let z = try y.conv2dInference(weight: w4, padding: 1, adding: y, relu: true)
            return try z.globalAvgPool2d().linear(weight: fc, bias: fcBias)
        }
    }

    @Test(arguments: [1, 3])
    func replaysEqualDirectCallsOnNewInputs(batch: Int) throws {
        let f = try Self.network()
        let recorded = try #require(try RecordedFunction.record(inputShape: [batch, 3, 12, 12], f))
        #expect(recorded.outputShape == [batch, 5])
        #expect(recorded.stepCount >= 8)
        #expect(recorded.copyCount == 1, "the first block's residual copy is dropped, the second's kept")
        var g = SeededGenerator(seed: 22)
        var answers: [[Float]] = []
        for _ in 0..<3 {
            let x = try Tensor.randomNormal([batch, 3, 12, 12], generator: &g)
            let direct = try withoutGradients { try f(x) }.scalars
            let replayed = try recorded(x).scalars
            #expect(zip(direct, replayed).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) })
            answers.append(replayed)
        }
        #expect(answers[0] != answers[1] && answers[1] != answers[2])
    }

    @Test func functionsComputingOnTheInputInSwiftDoNotReplay() throws {
        let f = try Self.network()
        // The elementwise product is a Swift loop: not recorded, so a replay would reuse the first input's product.
        let scaled: (Tensor) throws -> Tensor = { x in try f(x * x) }
        #expect(try RecordedFunction.record(inputShape: [1, 3, 12, 12], scaled) == nil)
    }

    @Test func anInputOfAnotherShapeIsRejected() throws {
        let recorded = try #require(try RecordedFunction.record(inputShape: [1, 3, 12, 12], try Self.network()))
        #expect(throws: TensorError.self) { try recorded(Tensor.zeros([1, 3, 14, 14])) }
    }

    @Test func linearWithoutGradientsEqualsTheDefinition() throws {
        var g = SeededGenerator(seed: 23)
        let x = try Tensor.randomNormal([4, 7], generator: &g), w = try Tensor.randomNormal([3, 7], generator: &g)
        let b = try Tensor.randomNormal([3], generator: &g)
        let (xs, ws, bs) = (x.scalars, w.scalars, b.scalars)
        for bias in [b, nil] as [Tensor?] {
            let y = try withoutGradients { try x.linear(weight: w, bias: bias) }
            #expect(y.shape == [4, 3])
            for n in 0..<4 { for o in 0..<3 {
                let expected = (0..<7).reduce(Double(bias == nil ? 0 : bs[o])) { $0 + Double(xs[n * 7 + $1]) * Double(ws[o * 7 + $1]) }
                #expect(abs(Double(y.scalars[n * 3 + o]) - expected) < 1e-4)
            } }
        }
    }
}
