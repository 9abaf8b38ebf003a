import ArgumentParser
import Foundation
import PetalBenchKit
import Petal

/// `petal bench`: how fast a model trains and predicts on this machine (synthetic input, so only the arithmetic
/// is timed). The side-by-side run against PyTorch, TensorFlow and ONNX Runtime is `make bench-compare`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time training steps, batch inference and single-image latency of a model on this machine.",
        discussion: """
            For the side-by-side comparison with PyTorch, TensorFlow/Keras and ONNX Runtime, run `make bench-compare` \
            in a Petal checkout. Under mpirun (`mpirun -np 2 petal bench`), it times data-parallel training steps \
            instead, with --batch-size as the global batch, and prints the all-reduce's time per step (`make \
            bench-distributed` compares them with one process).
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "Number of classes.")
    var classes = 2

    @Option(help: "Input height and width.")
    var input = 100

    @Option(help: "Images per batch.")
    var batchSize = 32

    @Option(help: "Timed training steps and inference passes (after one warm-up each); the median is reported.")
    var steps = 10

    @Flag(help: "Print the figures as JSON.")
    var json = false

    func run() throws {
        try runReportingErrors {
            guard classes >= 1, input >= 1, batchSize >= 1, steps >= 1 else {
                throw ValidationFailure("--classes, --input, --batch-size and --steps must be positive")
            }
            let network = try model.settings().makeModel(classes: classes, seed: 1)
            if let job = try MPIJob.current() {
                return try runDistributed(network, job)
            }
            let t = try Throughput.measure(network, classes: classes, inputShape: [batchSize, 3, input, input], steps: steps)
            if json {
                say(String(decoding: try RunJSON.encode(t), as: UTF8.self))
                return
            }
            say("\(network.layerDescription), \(input)×\(input)×3, \(model.precision), \(model.convolution) convolutions, \(Device.default.threads) threads")
            say(String(format: "training, batch %d:   %8.1f images/s", batchSize, t.trainImagesPerSecond))
            say(String(format: "inference, batch %d:  %8.1f images/s", batchSize, t.inferImagesPerSecond))
            say(String(format: "latency, one image:  %8.2f ms", t.latencyMilliseconds))
            say(String(format: "peak memory:         %8.0f MiB", peakResidentMegabytes()))
        }
    }

    /// Under mpirun: data-parallel training steps with --batch-size as the global batch; rank 0 prints.
    private func runDistributed(_ network: Module, _ job: MPIJob) throws {
        Device.default.threads = job.threads(requested: nil)
        let t = try DataParallelThroughput.measure(network, classes: classes, inputShape: [batchSize, 3, input, input], steps: steps,
                                                   dataParallel: DataParallel(job.communicator))
        guard job.rank == 0 else { return }
        if json { return say(String(decoding: try RunJSON.encode(t), as: UTF8.self)) }
        say("\(network.layerDescription), \(input)×\(input)×3, \(t.ranks) ranks × \(Device.default.threads) threads, global batch \(batchSize)")
        say(String(format: "training:    %8.1f images/s (step %.1f ms)", t.imagesPerSecond, t.stepMilliseconds))
        say(String(format: "all-reduce:  %8.1f ms per step for %.1f MB of gradients, after %.1f ms waiting for the slowest rank",
                   t.allReduceMilliseconds, t.gradientMegabytes, t.waitMilliseconds))
        if let together = t.overlappedMilliseconds, let apart = t.sequentialMilliseconds {
            say(String(format: "overlap:     forward + backward with the all-reduce on another thread %.1f ms, one after the other %.1f ms", together, apart))
        }
    }
}
