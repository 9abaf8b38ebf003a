import ArgumentParser
import Foundation
import Petal

extension CalibrationMethod: ExpressibleByArgument {}

/// `petal quantize`: post-training static quantization of a checkpoint into an int8 model.
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize a checkpoint to int8 (post-training static quantization) for faster CPU inference.",
        discussion: """
            Convolutions run with 8-bit weights (per output channel) and 8-bit activations (per tensor, their ranges \
            calibrated on images of --calibration, prepared as the model's inputs); batch norms are folded and residual \
            sums and ReLUs fused. The file keeps the fp32 weights under torchvision's names and records the calibration; \
            predict, evaluate and serve run it in int8. An existing file is kept unless --overwrite is given.
            """)

    @Argument(help: "A checkpoint written by petal train.")
    var checkpoint: String

    @Option(help: "Folder with one sub-folder per class whose images calibrate the activations (typically the training data).")
    var calibration: String

    @Option(name: .shortAndLong, help: "The int8 model to write (e.g. model.int8.safetensors).")
    var output: String

    @Option(help: "Calibration images, taken evenly from the classes.")
    var images = 256

    @Option(help: "How each activation's range is chosen: min-max (every value seen; measured best, docs/INT8.md), percentile (0.01–99.99 %) or entropy (smallest KL divergence).")
    var method: CalibrationMethod = .minMax

    @Flag(help: "Keep the first convolution (the one that reads the image) in fp32.")
    var keepFirstConvolution = false

    @Flag(help: "Replace --output if it exists.")
    var overwrite = false

    func run() throws {
        try runReportingErrors {
            guard images >= 1 else { throw ValidationFailure("--images must be at least 1, got \(images)") }
            let url = URL(fileURLWithPath: output)
            if FileManager.default.fileExists(atPath: url.path) && !overwrite {
                throw ValidationFailure("\(output) exists; choose another --output or add --overwrite")
            }
            let trained = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint))
            let root = URL(fileURLWithPath: calibration, isDirectory: true)
            let started = Date()
            say("Calibrating \(trained.model.layerDescription) on up to \(images) images of \(calibration) (\(method.rawValue))…")
            let int8 = try trained.quantized(calibration: root, images: images, method: method, keepingFirstConvolution: keepFirstConvolution, log: { warn($0) })
            int8.record.calibrationData = Self.relativePath(of: root, from: url.deletingLastPathComponent())
            try int8.saveQuantized(to: url, metadata: trained.metadata)
            say("Wrote \(output): int8 convolutions, \(int8.record.calibrationImages) calibration images, \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
    }

    /// `target` relative to the folder `base` ("../data" for a data set beside the run folder).
    static func relativePath(of target: URL, from base: URL) -> String {
        let t = target.standardizedFileURL.pathComponents, b = base.standardizedFileURL.pathComponents
        let shared = zip(t, b).prefix { $0 == $1 }.count
        let parts = Array(repeating: "..", count: b.count - shared) + t.dropFirst(shared)
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
