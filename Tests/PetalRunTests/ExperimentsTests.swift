// The tutorial's experiments leave their evidence: the sweep compares rates on loss, accuracy and AUC (training and
// validation), the overfit check writes its history, curves and verdict, and both join a run folder's report.
import Foundation
import Testing
@testable import PetalRun

@Suite(.serialized) struct ExperimentsTests {
    @Test func theSweepPlotsLossAccuracyAndAUCPerRateAndJoinsTheReport() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 2)
        let folder = try RunFolder.create(at: root.appendingPathComponent("run"))
        _ = try TrainingRun(configuration: configuration, folder: folder).run(log: { _ in })
        configuration.epochs = 2
        let results = try RunExperiments.sweepLearningRates([0.1, 0.01], configuration: configuration, into: folder, log: { _ in })
        #expect(results.count == 2 && results.allSatisfy { $0.history.epochs.count == 2 })
        let csv = try String(contentsOf: folder.file("sweep.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 5 && csv[0] == "learning_rate,epoch,loss,accuracy,val_loss,val_accuracy,val_auc")
        let svg = try String(contentsOf: folder.file("sweep.svg"), encoding: .utf8)
        #expect(svg.components(separatedBy: "<svg ").count - 1 == 4, "three panels in one document")
        for text in ["Loss per learning rate", "Accuracy per learning rate", "Validation ROC AUC per learning rate", "lr 0.1 validation", "lr 0.01 training"] {
            #expect(svg.contains(text), "sweep.svg lacks \(text)")
        }
        let report = try String(contentsOf: folder.file(RunFiles.report), encoding: .utf8)
        #expect(report.contains("Learning-rate sweep") && report.contains("Accuracy per learning rate"))
    }

    @Test func theOverfitCheckWritesItsHistoryCurvesAndVerdict() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"))
        configuration.data.classes = nil  // the batch cap counts the folder's real classes
        configuration.data.batchSize = 32
        let folder = try RunFolder.create(at: root.appendingPathComponent("overfit"))
        let report = try RunExperiments.overfit(configuration: configuration, images: 3, epochs: 4, into: folder, log: { _ in })
        #expect(report.history.epochs.count == 4)
        let rows = try String(contentsOf: folder.file(OverfitFiles.history), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 5 && rows[0].contains("val_accuracy"), "validation is scored each epoch: \(rows[0])")
        let verdict = try folder.readJSON(OverfitVerdict.self, from: OverfitFiles.verdict)
        #expect(verdict.passed == report.passed && verdict.imagesPerClass == [3, 3] && verdict.bestEpoch == report.bestEpoch + 1 && verdict.finalValidationAccuracy != nil)
        #expect(try String(contentsOf: folder.file(OverfitFiles.curves), encoding: .utf8).contains("Overfit check: accuracy"))
        // A verdict written before the best-epoch verdict still reads.
        let old = #"{"passed":true,"imagesPerClass":100,"epochs":20,"initialLoss":0.67,"finalLoss":0.015,"finalAccuracy":1,"summary":"s"}"#
        let read = try JSONDecoder().decode(OverfitVerdict.self, from: Data(old.utf8))
        #expect(read.imagesPerClass == [100] && read.bestEpoch == 20 && read.bestLoss == 0.015 && read.bestAccuracy == 1)
    }

    /// The preview's random augmentations mirror when their draw says so (an extra flip used to undo it): a draw with
    /// only a mirror shows the photo mirrored.
    @Test func previewAugmentationsMirrorWhenTheDrawSaysSo() throws {
        var g = SeededGenerator(seed: 4)
        let photo = try Image<Float>(height: 20, width: 30, channels: 3, pixels: (0..<1800).map { _ in Float(g.next() % 256) / 255 })
        let samples = ImagePreviews.augmentationSamples(of: photo, settings: PreviewSettings(), count: 16)
        let mirrored = samples.filter { $0.1.flipHorizontal }
        #expect(!mirrored.isEmpty && mirrored.count < 16)
        for (image, p) in samples {
            var unflipped = p
            unflipped.flipHorizontal = false
            let plain = photo.warped(inverseMap: .keras(unflipped, height: 20, width: 30), border: .symmetric)
            #expect(maxDifference(image, p.flipHorizontal ? plain.flippedHorizontally() : plain) < 1e-5)
        }
    }

    private func maxDifference(_ a: Image<Float>, _ b: Image<Float>) -> Float {
        zip(a.pixels, b.pixels).map { abs($0 - $1) }.max() ?? .infinity
    }
}

