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

    struct Prediction: Codable {
        var path: String
        var label: String?
        var probabilities: [String: Double]?
        var error: String?
    }

    func run() throws {
        try runReportingErrors {
            guard !inputs.isEmpty else { throw ValidationFailure("give at least one image or folder to predict") }
            let files = try inputs.flatMap(imageFiles)
            let loaded = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint))
            let names = loaded.classNames
            let session = InferenceSession(loaded.model)  // one image at a time, replayed from a recording
            let w = min(max(files.map { FileSystem.printable($0).count }.max() ?? 4, 4), 60)
            if !json { say("image".padding(toLength: w, withPad: " ", startingAt: 0) + "  label" + names.map { "  p(\($0))" }.joined()) }
            var labelled = 0
            var page: [(image: Data, caption: String)] = [], failures: [String] = []
            for path in files {
                var row = Prediction(path: FileSystem.printable(path))
                do {
                    let input = try ImageInput.tensor(from: URL(fileURLWithPath: path), config: loaded.data)
                    let p = try session.probabilities(input).scalars
                    if let saveInputs {
                        try FileManager.default.createDirectory(atPath: saveInputs, withIntermediateDirectories: true)
                        try NumpyFile.write(input, to: URL(fileURLWithPath: saveInputs + "/" + (FileSystem.printable(path) as NSString).lastPathComponent + ".npy"))
                    }
                    let best = p.indices.max { p[$0] < p[$1] }!
                    (row.label, row.probabilities) = (names[best], Dictionary(uniqueKeysWithValues: zip(names, p.map(Double.init))))
                    labelled += 1
                    if let explain { try writeExplanation(of: path, into: explain, model: loaded) }
                    if html != nil {
                        let x = try ImageInput.tensor(from: URL(fileURLWithPath: path), config: loaded.data)
                        let name = (FileSystem.printable(path) as NSString).lastPathComponent
                        page.append((Data(try InputPicture.image(of: x).encoded(as: .png)), "\(name): \(row.label!) \(String(format: "%.3f", row.probabilities![row.label!]!))"))
                    }
                } catch {
                    row.error = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                    failures.append("\(row.path): \(row.error!)")
                }
                say(json ? try compactJSON(row) : tableRow(row, width: w, names: names))
            }
            if let html {
                var report = HTMLReport(title: "Petal predictions", subtitle: checkpoint, timestamp: Date())
                report.section("Predictions")
                report.gallery(page, caption: "Each image as the network saw it (the checkpoint's crop), its label and the label's probability.")
                for f in failures { report.note("Not labelled: \(f)") }
                try report.write(to: URL(fileURLWithPath: html))
                say("Page: \(html)")
            }
            if labelled == 0 { throw ExitCode.failure }
        }
    }

    /// The files to label for one argument: the file itself, or every non-hidden entry of a folder that is not a
    /// folder (unreadable ones included, so that each gets a row saying why).
    private func imageFiles(_ input: String) throws -> [String] {
        switch FileSystem.kind(of: input) {
        case .missing: throw ValidationFailure("\(input): no such file or folder")
        case .directory:
            let entries = (FileSystem.entries(of: input) ?? []).filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let files = entries.map { input + "/" + $0 }.filter { FileSystem.kind(of: $0) != .directory }
            guard !files.isEmpty else { throw ValidationFailure("\(input): the folder holds no files to predict") }
            return files
        default: return [input]
        }
    }

    private func tableRow(_ r: Prediction, width w: Int, names: [String]) -> String {
        let shown = (r.path.count > w ? "…" + r.path.suffix(w - 1) : r.path).padding(toLength: w, withPad: " ", startingAt: 0)
        guard let label = r.label, let p = r.probabilities else { return shown + "  error: " + (r.error ?? "?") }
        return shown + "  " + label + names.map { String(format: "  %.4f", p[$0]!) }.joined()
    }

    private func compactJSON(_ row: Prediction) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(row), as: UTF8.self)
    }

    private func writeExplanation(of path: String, into folder: String, model: TrainedModel) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let x = try ImageInput.tensor(from: URL(fileURLWithPath: path), config: model.data)
        let cam = try GradCAM.explain(model.model, image: x)
        let name = (FileSystem.printable(path) as NSString).lastPathComponent
        try GradCAM.overlay(cam.heatmap, onInput: x).write(to: URL(fileURLWithPath: folder).appendingPathComponent(name + ".gradcam.png"), format: .png)
    }
}

extension Predict.Prediction {
    init(path: String) { self.init(path: path, label: nil, probabilities: nil, error: nil) }
}
