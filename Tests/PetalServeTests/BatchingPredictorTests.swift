#if Serve
// The server's batching, in process (so that `make tsan` checks its concurrency): concurrent predictions share forward
// passes, and each caller gets its own image's row. The HTTP API is tested on a `petal serve` process
// (PetalCLITests/ServeAPITests.swift).
import Foundation
import PetalNN
import PetalTensor
@testable import PetalServe
import Testing

@Suite struct BatchingPredictorTests {
    @Test func concurrentPredictionsShareForwardPassesAndGetTheirOwnRows() async throws {
        let resnet = try ResNet(depth: .r18, variant: .v1, classes: 3, baseWidth: 4, initializer: WeightInitializer(seed: 5))
        resnet.eval()
        let inputs = try (0..<16).map { i in try Tensor(shape: [1, 3, 32, 32], scalars: (0..<(3 * 32 * 32)).map { Float(sin(Double($0 * (i + 1)) * 0.01)) }) }
        let expected = try inputs.map { x in try withoutGradients { try resnet(x).softmax().scalars } }
        let predictor = BatchingPredictor(model: ServedModel(resnet), maxBatch: 8, maxWait: .milliseconds(200))
        try await predictor.warmUp(inputShape: [3, 32, 32])
        defer { predictor.stop() }
        let rows = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (i, x) in inputs.enumerated() { group.addTask { (i, try await predictor.predict(x, othersInServer: 15)) } }
            return try await group.reduce(into: [Int: [Float]]()) { $0[$1.0] = $1.1 }
        }
        for (i, want) in expected.enumerated() {
            let got = try #require(rows[i], "prediction \(i)")
            #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-5 }, "prediction \(i): \(got) against \(want)")
        }
        let (passes, images) = (await predictor.forwardPasses, await predictor.imagesPredicted)
        #expect(images == 16)
        #expect(passes >= 2 && passes < 16, "16 predictions with batches of at most 8 took \(passes) forward passes")
    }
}
#endif
