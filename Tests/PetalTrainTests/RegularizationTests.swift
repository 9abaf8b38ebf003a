// Keras' conventions in layers. Kernel L2: λ·Σw² joins the loss the trainer reports and differentiates (gradient 2λ·w on kernels only), in
// training and in validation, as Keras' `model.losses` do.
import Foundation
import PetalNN
import PetalTensor
import PetalTestSupport
import Testing
@testable import PetalTrain

@Suite struct RegularizationTests {
    /// A 1×1 convolution from 2 to 2 channels on 1×1 inputs, flattened to logits.
    static func model(l2: Float) throws -> (Sequential, Conv2D) {
        let conv = try Conv2D(2, 2, kernel: 1, bias: true, initializer: WeightInitializer(seed: 5))
        conv.kernelL2 = l2
        return (Sequential(conv, Flatten()), conv)
    }

    @Test func thePenaltyIsLambdaTimesTheSquaredKernelAndItsGradientTwoLambdaW() throws {
        let (model, conv) = try Self.model(l2: 1e-2)
        let penalty = try #require(try model.regularizationLoss())
        let w = conv.weight.scalars.map(Double.init)
        #expect(abs(Double(try penalty.item()) - 1e-2 * w.reduce(0) { $0 + $1 * $1 }) < 1e-7)
        try penalty.backward()
        let grad = try #require(conv.weight.grad).scalars
        #expect(zip(grad, w).allSatisfy { abs(Double($0) - 2e-2 * $1) < 1e-7 }, "\(grad)")
        #expect(conv.bias?.grad == nil || conv.bias!.grad!.scalars.allSatisfy { $0 == 0 }, "biases are not penalised")
        #expect(try Self.model(l2: 0).0.regularizationLoss() == nil)
    }

    /// Keras' batch norm: ε 10⁻³ in the normalisation; running mean 0.99·0 + 0.01·μ, running variance 0.99·1 + 0.01·σ²
    /// with the biased σ² of the batch [1, 2, 3, 6] (μ 3, σ² 3.5).
    @Test func kerasBatchNormUpdatesItsStatisticsAsKerasDoes() throws {
        let bn = try BatchNorm2D(1)
        try bn.adoptKerasConventions()
        let y = try bn(Tensor(shape: [4, 1, 1, 1], scalars: [1, 2, 3, 6]))
        #expect(abs(bn.runningMean.scalars[0] - 0.03) < 1e-7 && abs(bn.runningVariance.scalars[0] - (0.99 + 0.035)) < 1e-6)
        #expect(abs(Double(y.scalars[3]) - 3 / (3.5 + 1e-3).squareRoot()) < 1e-5)
    }

    @Test func theTrainerReportsAndStepsWithThePenalty() throws {
        let x = try Tensor(shape: [4, 2, 1, 1], scalars: [1, -1, 0.5, 2, -1, 0.3, 2, 2])
        let data = try ArrayBatchSource(images: x, labels: [0, 1, 1, 0], classCount: 2, batchSize: 4)
        let (plain, plainConv) = try Self.model(l2: 0)
        let (penalised, conv) = try Self.model(l2: 0.05)
        let w = conv.weight.scalars
        let penalty = 0.05 * w.reduce(0) { $0 + Double($1) * Double($1) }
        // With SGD at 0.1: the penalised step moves each kernel weight by a further −0.1 · 2 · 0.05 · w.
        let a = try Trainer.fit(plain, train: data, validation: data, epochs: 1, optimizer: SGD(parameters: plain.parameters, learningRate: 0.1))
        let b = try Trainer.fit(penalised, train: data, validation: data, epochs: 1, optimizer: SGD(parameters: penalised.parameters, learningRate: 0.1))
        #expect(abs(b.values("loss")[0] - a.values("loss")[0] - penalty) < 1e-6)
        for (i, (p, q)) in zip(plainConv.weight.scalars, conv.weight.scalars).enumerated() {
            #expect(abs(Double(q) - (Double(p) - 0.1 * 2 * 0.05 * Double(w[i]))) < 1e-6, "weight \(i)")
        }
        // Validation loss holds the penalty of the weights after the step.
        let after = 0.05 * conv.weight.scalars.reduce(0) { $0 + Double($1) * Double($1) }
        let dataLoss = try evaluate(penalised, on: data).loss
        #expect(abs(b.values("val_loss")[0] - (dataLoss + after)) < 1e-6)
    }
}
