// How fast a model trains and predicts on this machine: the measurement behind `petal bench` and `petal-bench`'s
// model group (and so the Petal side of `make bench-compare`). Synthetic data, so only the arithmetic is timed.
// A support target of the two benchmark front ends, not part of the libraries users build on.
import Foundation
import PetalNN
import PetalTrain

/// Training and inference speed of one model at one input size, as medians over repeated runs.
public struct Throughput: Codable, Sendable {
    /// Training steps (forward, cross-entropy, backward, plain SGD update) per second × batch size.
    public let trainImagesPerSecond: Double
    /// Inference passes at the same batch size (eval mode, no gradients).
    public let inferImagesPerSecond: Double
    /// Median time to predict one image (batch 1, through an ``InferenceSession`` as `petal predict` does).
    public let latencyMilliseconds: Double
    /// Images per batch timed.
    public let batchSize: Int

    /// Times `model` on random `[batchSize, channels, size, size]` input: `steps` training steps and inference
    /// passes after one warm-up each, then `latencyRuns` single-image predictions. The weights change (the SGD
    /// steps are real); the model is left in eval mode.
    /// - Throws: `ModelError`/`TensorError` when the model rejects the input; `steps` and `latencyRuns` must be positive.
    public static func measure(_ model: Module, classes: Int, inputShape: [Int], steps: Int = 10, latencyRuns: Int = 50,
                               seed: UInt64 = 1) throws -> Throughput {
        guard steps > 0, latencyRuns > 0, inputShape.count == 4, inputShape[0] > 0 else {
            throw TrainingError.invalidSetting("Throughput.measure: steps and latencyRuns must be positive and inputShape [N, C, H, W], got \(steps), \(latencyRuns), \(inputShape)")
        }
        var g = SeededGenerator(seed: seed)
        let batch = try Tensor.randomNormal(inputShape, generator: &g)
        let labels = (0..<inputShape[0]).map { $0 % classes }
        let one = try batch.slice(batch: 0..<1)
        model.train()
        // The same work as the PyTorch reference script: torch.optim.SGD(lr=0.01), no momentum.
        let sgd = try SGD(parameters: model.parameters, learningRate: 0.01)
        let train = try medianSeconds(warmup: 1, runs: steps) { try trainingStep(model, batch, labels: labels, optimizer: sgd) }
        model.eval()
        let fused = model.fusedForInference()
        let infer = try medianSeconds(warmup: 1, runs: steps) { _ = try fused(batch) }
        let session = InferenceSession(model)  // single images are predicted through a recording, as `petal predict` does
        let latency = try medianSeconds(warmup: 3, runs: latencyRuns) { _ = try session(one) }
        return Throughput(trainImagesPerSecond: Double(inputShape[0]) / train, inferImagesPerSecond: Double(inputShape[0]) / infer,
                          latencyMilliseconds: latency * 1000, batchSize: inputShape[0])
    }

    /// One step of the work timed: forward, cross-entropy, backward and the optimizer's update.
    public static func trainingStep(_ model: Module, _ batch: Tensor, labels: [Int], optimizer: Optimizer) throws {
        optimizer.zeroGrad()
        try model(batch).softmaxCrossEntropy(labels: labels).backward()
        try optimizer.step()
    }

    /// Median seconds per call of `body` over `runs` calls after `warmup` calls.
    public static func medianSeconds(warmup: Int, runs: Int, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<warmup { try body() }
        var samples: [Double] = []
        for _ in 0..<runs {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return samples.sorted()[runs / 2]
    }
}

/// Peak resident memory of this process so far, in MiB (`ru_maxrss`).
public func peakResidentMegabytes() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    #if os(Linux)
    return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    #else
    return Double(usage.ru_maxrss) / 1_048_576  // bytes on macOS
    #endif
}
