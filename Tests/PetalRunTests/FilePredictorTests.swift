// Labelling files with a trained model: a result for every file (the unreadable one with its reason), the same
// probabilities as the model itself, the exact model inputs as .npy, and a page.
import Foundation
import Testing
@testable import PetalRun

@Suite struct FilePredictorTests {
    @Test func everyFileGetsAResultAndTheExtrasAreWritten() throws {
        let dir = try RunFixtures.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try RunFolder.create(at: dir.appendingPathComponent("run"))
        _ = try TrainingRun(configuration: RunFixtures.configuration(data: dir.appendingPathComponent("data"), epochs: 1), folder: folder)
            .run(writeReport: false, log: { _ in })
        let trained = try TrainedModel(checkpoint: folder.file(RunFiles.best))

        let roses = dir.appendingPathComponent("data/rose")
        try Data("not an image".utf8).write(to: roses.appendingPathComponent("zz-broken.jpg"))
        let files = try FilePredictor.imageFiles(in: [roses])
        #expect(files.count == 7 && files.last?.lastPathComponent == "zz-broken.jpg", "sorted by name, the broken file included")

        let inputs = dir.appendingPathComponent("inputs"), page = dir.appendingPathComponent("page.html")
        let predictor = try FilePredictor(model: trained, inputsFolder: inputs, collectsPage: true)
        let results = files.map(predictor.predict)
        let broken = try #require(results.last)
        #expect(broken.label == nil && broken.error != nil && broken.path.hasSuffix("zz-broken.jpg"))
        let first = try #require(results.first?.probabilities)
        let expected = try trained.model.predictProbabilities(ImageInput.tensor(from: files[0], config: trained.data)).scalars
        #expect(abs(first["daisy"]! - Double(expected[0])) < 1e-6 && abs(first["rose"]! - Double(expected[1])) < 1e-6)
        #expect(results.dropLast().allSatisfy { $0.label == ($0.probabilities!["daisy"]! > $0.probabilities!["rose"]! ? "daisy" : "rose") })

        let npy = try FileManager.default.contentsOfDirectory(atPath: inputs.path)
        #expect(npy.count == 6 && npy.allSatisfy { $0.hasSuffix(".jpg.npy") })
        try predictor.writePage(to: page, subtitle: "test")
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 6 && html.contains("Not labelled:") && html.contains("zz-broken.jpg"))

        // Two inputs named alike in different folders keep their own outputs, and a file where the output folder should
        // be is refused before anything is predicted (issue 31, item 13).
        let twin = dir.appendingPathComponent("twin")
        try FileManager.default.createDirectory(at: twin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: files[1], to: twin.appendingPathComponent(files[0].lastPathComponent))
        let clashing = dir.appendingPathComponent("clashing")
        let both = try FilePredictor(model: trained, inputsFolder: clashing)
        let named = [files[0], twin.appendingPathComponent(files[0].lastPathComponent)].map(both.predict)
        let stem = (files[0].lastPathComponent as NSString).deletingPathExtension
        #expect(named.map(\.outputName) == [files[0].lastPathComponent, stem + "-2.jpg"])
        let first0 = try Data(contentsOf: clashing.appendingPathComponent(files[0].lastPathComponent + ".npy"))
        let second0 = try Data(contentsOf: clashing.appendingPathComponent(stem + "-2.jpg.npy"))
        #expect(first0 != second0, "each input has its own file")
        let file = dir.appendingPathComponent("inputs.txt")
        try Data("mine".utf8).write(to: file)
        #expect(throws: RunError.data("\(file.path): is a file, not a folder; the inputs and Grad-CAM pictures go into a folder")) {
            try FilePredictor(model: trained, explanationsFolder: file)
        }
        #expect(throws: RunError.data("\(file.path): is a file, not a folder; the inputs and Grad-CAM pictures go into a folder")) {
            try FilePredictor(model: trained, inputsFolder: file)  // --save-inputs as --explain (issue 31, item 13)
        }
        #expect(try Data(contentsOf: file) == Data("mine".utf8), "the file is left as it was")

        #expect(throws: RunError.data("\(dir.path)/nothing: no such file or folder")) {
            try FilePredictor.imageFiles(in: [dir.appendingPathComponent("nothing")])
        }
    }
}
