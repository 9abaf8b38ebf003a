import ArgumentParser
import Foundation
import Petal

extension ONNXExportOptions.Output: ExpressibleByArgument {}

/// `petal export`: a checkpoint as an ONNX model for ONNX Runtime and other runtimes.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a checkpoint as an ONNX model (opset 17) with its preprocessing contract in the model's metadata.",
        discussion: """
            The model takes `input`, float32 [batch, 3, height, width] prepared as printed (and as stored in the metadata \
            properties petal.preprocessing, petal.classes, petal.mean and petal.std), and returns logits or probabilities. \
            Batch norms are folded into the convolutions unless --keep-batch-norm is given. An existing file is kept unless \
            --overwrite is given.
            """)

    @Argument(help: "A checkpoint written by petal train.")
    var checkpoint: String

    @Option(name: .shortAndLong, help: "The ONNX file to write.")
    var output: String

    @Option(help: "What the model returns: logits or probabilities.")
    var returns: ONNXExportOptions.Output = .logits

    @Flag(help: "Keep BatchNormalization nodes instead of folding them into the convolutions.")
    var keepBatchNorm = false

    @Option(help: "A fixed batch size (default: any batch size, the dimension named 'batch').")
    var batchSize: Int?

    @Option(help: "ONNX operator set, 17 to 21.")
    var opset = 17

    @Flag(help: "Replace --output if it exists.")
    var overwrite = false

    func run() throws {
        try runReportingErrors {
            let url = URL(fileURLWithPath: output)
            if FileManager.default.fileExists(atPath: url.path) && !overwrite {
                throw ValidationFailure("\(output) exists; choose another --output or add --overwrite")
            }
            let trained = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint))
            let options = ONNXExportOptions(output: returns, foldBatchNorm: !keepBatchNorm, fixedBatchSize: batchSize, opset: opset)
            let data = try trained.onnx(options: options)
            try AtomicFile.write(data, to: url)
            say("Wrote \(output) (\(trained.inference.layerDescription), opset \(opset), \(data.count.formatted()) bytes)")
            say("Input '\(ONNXExport.inputName)': float32 [\(batchSize.map(String.init) ?? "batch"), 3, \(trained.data.cropHeight), \(trained.data.cropWidth)], prepared as:")
            for (i, step) in trained.preprocessing.enumerated() { say("  \(i + 1). \(step)") }
            say("Output '\(returns.rawValue)': [\(batchSize.map(String.init) ?? "batch"), \(trained.classNames.count)] for classes \(trained.classNames.joined(separator: ", "))")
        }
    }
}
