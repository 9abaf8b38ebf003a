import ArgumentParser
import Foundation
import Petal

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label new images with a trained checkpoint (a table on a terminal, --json for programs).",
        discussion: "Rows are printed as each image is done. Every file of a folder gets a row, those that cannot be read included (with the reason); the exit status is non-zero when no image could be labelled.")

    @Argument(help: "A checkpoint written by petal train.")
    var checkpoint: String

    @Argument(help: "Image files or folders of images.")
    var inputs: [String]

    @Flag(help: "Print JSON lines: one object per image with its label and class probabilities, or its error.")
    var json = false

    @Option(help: "Also write an HTML page (one self-contained file) with every image's thumbnail, label and probability.")
    var html: String?

    @Option(help: "Write a Grad-CAM picture of each image into this folder (<image name>.gradcam.png): where the network looked for the predicted class.")
    var explain: String?

    @Option(help: "Write each image's model input (float32 [1, 3, height, width], exactly what the network gets) into this folder as <image name>.npy, to check another runtime's preprocessing against Petal's.")
    var saveInputs: String?

    func run() throws {
        try runReportingErrors {
            guard !inputs.isEmpty else { throw ValidationFailure("give at least one image or folder to predict") }
            let files = try FilePredictor.imageFiles(in: inputs.map { URL(fileURLWithPath: $0) })
            let predictor = try FilePredictor(model: try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint)),
                                          inputsFolder: saveInputs.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                          explanationsFolder: explain.map { URL(fileURLWithPath: $0, isDirectory: true) }, collectsPage: html != nil)
            let names = predictor.model.classNames
            let w = min(max(files.map { FileSystem.printable($0.relativePath).count }.max() ?? 4, 4), 60)
            if !json { say("image".padding(toLength: w, withPad: " ", startingAt: 0) + "  label" + names.map { "  p(\($0))" }.joined()) }
            var labelled = 0
            for file in files {
                let row = predictor.predict(file)
                if row.label != nil { labelled += 1 }
                say(json ? try compactJSON(row) : tableRow(row, width: w, names: names))
            }
            if let html {
                try predictor.writePage(to: URL(fileURLWithPath: html), subtitle: checkpoint)
                say("Page: \(html)")
            }
            if labelled == 0 { throw ExitCode.failure }
        }
    }

    private func tableRow(_ r: FilePrediction, width w: Int, names: [String]) -> String {
        let shown = (r.path.count > w ? "…" + r.path.suffix(w - 1) : r.path).padding(toLength: w, withPad: " ", startingAt: 0)
        guard let label = r.label, let p = r.probabilities else { return shown + "  error: " + (r.error ?? "?") }
        return shown + "  " + label + names.map { String(format: "  %.4f", p[$0]!) }.joined()
    }

    private func compactJSON(_ row: FilePrediction) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(row), as: UTF8.self)
    }
}
