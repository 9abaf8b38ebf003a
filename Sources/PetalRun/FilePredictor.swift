// Labelling image files with a trained model, as `petal predict` does: one image at a time (a recording of the
// forward pass replayed per image), a result for every file (unreadable ones included, with the reason), and on
// request each image's exact model input as .npy, a Grad-CAM picture, and a page of thumbnails.
import Foundation
import PetalData
import PetalImage
import PetalNN
import PetalReport
import PetalTrain

/// One image file labelled by a trained model, or the reason it could not be.
public struct FilePrediction: Codable, Sendable, Equatable {
    /// The file as given (its relative path when given relative; undecodable bytes of its name escaped for printing).
    public var path: String
    /// The most probable class; nil when the file could not be labelled.
    public var label: String?
    /// Every class's probability; nil when the file could not be labelled.
    public var probabilities: [String: Double]?
    /// Why the file could not be labelled.
    public var error: String?
    /// The name its input (`<name>.npy`) and Grad-CAM picture (`<name>.gradcam.png`) were written under, when they were:
    /// the file's name, numbered (`photo-2.jpg`) when an earlier input of another folder had the same name.
    public var outputName: String?
}

/// Labels image files with a ``TrainedModel``, one at a time.
public final class FilePredictor {
    /// The model and its preprocessing.
    public let model: TrainedModel
    /// Where each image's model input (float32 [1, 3, height, width]) is written as `<image name>.npy`; nil for none.
    public let inputsFolder: URL?
    /// Where each image's Grad-CAM picture is written as `<image name>.gradcam.png`; nil for none.
    public let explanationsFolder: URL?

    private var thumbnails: [(image: Data, caption: String)]?
    private var failures: [String] = []
    /// The output names given so far, so that two inputs named alike never write over each other's outputs.
    private var outputNames: Set<String> = []

    /// - Parameters:
    ///   - model: the trained model.
    ///   - inputsFolder: also write each image's model input as .npy here (to check another runtime's preprocessing).
    ///   - explanationsFolder: also write a Grad-CAM picture of each image here (where the network looked).
    ///   - collectsPage: keep a thumbnail of each image for ``writePage(to:subtitle:)``.
    /// - Throws: ``RunError/data(_:)`` when an output folder is a file (or anything else that cannot hold files).
    public init(model: TrainedModel, inputsFolder: URL? = nil, explanationsFolder: URL? = nil, collectsPage: Bool = false) throws {
        for folder in [inputsFolder, explanationsFolder].compactMap({ $0 }) {
            do { try RunFolder.checkFolderPath(folder) } catch RunError.folder(let path, let reason) {
                throw RunError.data("\(path): \(reason); the inputs and Grad-CAM pictures go into a folder")
            }
        }
        (self.model, self.inputsFolder, self.explanationsFolder) = (model, inputsFolder, explanationsFolder)
        thumbnails = collectsPage ? [] : nil
    }

    /// `name`, or `name` numbered before its extension (`photo-2.jpg`) when an earlier input had it.
    private func uniqueOutputName(_ name: String) -> String {
        var candidate = name, n = 2
        let (stem, ext) = ((name as NSString).deletingPathExtension, (name as NSString).pathExtension)
        while outputNames.contains(candidate) {
            candidate = stem + "-\(n)" + (ext.isEmpty ? "" : "." + ext)
            n += 1
        }
        outputNames.insert(candidate)
        return candidate
    }

    /// Labels one file; a file that cannot be read or labelled gives a result with its ``FilePrediction/error``.
    public func predict(_ file: URL) -> FilePrediction {
        let shown = FileSystem.printable(file.relativePath)
        var result = FilePrediction(path: shown)
        do {
            let input = try ImageInput.tensor(from: file, config: model.data)
            let prediction = try model.prediction(input: input)
            let (p, names, best) = (prediction.probabilities, model.classNames, prediction.label)
            (result.label, result.probabilities) = (names[best], Dictionary(uniqueKeysWithValues: zip(names, p.map(Double.init))))
            let name = (shown as NSString).lastPathComponent
            if inputsFolder != nil || explanationsFolder != nil { result.outputName = uniqueOutputName(name) }
            let output = result.outputName ?? name
            if let inputsFolder {
                try FileManager.default.createDirectory(at: inputsFolder, withIntermediateDirectories: true)
                try NumpyFile.write(input, to: inputsFolder.appendingPathComponent(output + ".npy"))
            }
            if let explanationsFolder {
                try FileManager.default.createDirectory(at: explanationsFolder, withIntermediateDirectories: true)
                let cam = try GradCAM.explain(model.model, image: input)
                try GradCAM.overlay(cam.heatmap, onInput: input).write(to: explanationsFolder.appendingPathComponent(output + ".gradcam.png"), format: .png)
            }
            if thumbnails != nil {
                let caption = "\(name): \(names[best]) \(String(format: "%.3f", p[best]))"
                thumbnails!.append((Data(try InputPicture.image(of: input).encoded(as: .png)), caption))
            }
        } catch {
            result.error = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            failures.append("\(shown): \(result.error!)")
        }
        return result
    }

    /// Writes the page of every image predicted so far (one self-contained HTML file): each image as the network saw
    /// it, its label and the label's probability, then the files that could not be labelled.
    public func writePage(to url: URL, subtitle: String) throws {
        var report = HTMLReport(title: "Petal predictions", subtitle: subtitle, timestamp: Date())
        report.section("Predictions")
        report.gallery(thumbnails ?? [], caption: "Each image as the network saw it (the checkpoint's crop), its label and the label's probability.")
        for f in failures { report.note("Not labelled: \(f)") }
        try report.write(to: url)
    }

    /// The files to label for each input: the file itself, or every non-hidden entry of a folder that is not a folder,
    /// in byte order of the names (unreadable ones included, so that each gets a result saying why).
    /// - Throws: ``RunError/data(_:)`` for an input that does not exist, or a folder with no files.
    public static func imageFiles(in inputs: [URL]) throws -> [URL] {
        try inputs.flatMap { input -> [URL] in
            let path = input.relativePath  // as the caller spelled it, for messages and results
            switch FileSystem.kind(of: path) {
            case .missing: throw RunError.data("\(path): no such file or folder")
            case .directory:
                let entries = (FileSystem.entries(of: path) ?? []).filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                let files = entries.map { path + "/" + $0 }.filter { FileSystem.kind(of: $0) != .directory }
                guard !files.isEmpty else { throw RunError.data("\(path): the folder holds no files to predict") }
                return files.map { URL(fileURLWithPath: $0) }
            default: return [input]
            }
        }
    }
}
