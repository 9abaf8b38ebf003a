import ArgumentParser
import Foundation
import Petal

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Label new images with a trained checkpoint (a table on a terminal, --json for programs).")

    @Argument(help: "A checkpoint written by petal train.")
    var checkpoint: String

    @Argument(help: "Image files or folders of images.")
    var inputs: [String]

    @Flag(help: "Print JSON: one object per image with its label and class probabilities.")
    var json = false

    struct Prediction: Codable {
        var path: String
        var label: String?
        var probabilities: [String: Double]?
        var error: String?
    }

    func run() throws {
        try runReportingErrors {
            guard !inputs.isEmpty else { throw ValidationFailure("give at least one image or folder to predict") }
            let loaded = try TrainedModel(checkpoint: URL(fileURLWithPath: checkpoint))
            let names = loaded.metadata.classNames
            var files: [String] = []
            for input in inputs {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: input, isDirectory: &isDir) else { throw ValidationFailure("\(input): no such file or folder") }
                if isDir.boolValue {
                    let items = try FileManager.default.contentsOfDirectory(atPath: input).filter { !$0.hasPrefix(".") }.sorted()
                    let found = items.map { input + "/" + $0 }.filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
                    guard !found.isEmpty else { throw ValidationFailure("\(input): the folder holds no files to predict") }
                    files += found
                } else {
                    files.append(input)
                }
            }
            var results: [Prediction] = []
            let session = InferenceSession(loaded.model)  // one image at a time, replayed from a recording
            for path in files {
                do {
                    let x = try ImageInput.tensor(fromFile: path, config: loaded.data)
                    let p = try session.probabilities(x).scalars
                    let best = p.indices.max { p[$0] < p[$1] }!
                    results.append(Prediction(path: path, label: names[best],
                                              probabilities: Dictionary(uniqueKeysWithValues: zip(names, p.map(Double.init))), error: nil))
                } catch {
                    results.append(Prediction(path: path, label: nil, probabilities: nil, error: error.localizedDescription))
                }
            }
            if json {
                say(String(decoding: try RunJSON.encode(results), as: UTF8.self))
            } else {
                let w = min(max(results.map(\.path.count).max() ?? 4, 4), 60)
                say("image".padding(toLength: w, withPad: " ", startingAt: 0) + "  label" + names.map { "  p(\($0))" }.joined())
                for r in results {
                    let shown = r.path.count > w ? "…" + r.path.suffix(w - 1) : r.path
                    if let label = r.label, let p = r.probabilities {
                        say(shown.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + label + names.map { String(format: "  %.4f", p[$0]!) }.joined())
                    } else {
                        say(shown.padding(toLength: w, withPad: " ", startingAt: 0) + "  error: " + (r.error ?? "?"))
                    }
                }
            }
            if results.allSatisfy({ $0.error != nil }) { throw ExitCode.failure }
        }
    }
}
