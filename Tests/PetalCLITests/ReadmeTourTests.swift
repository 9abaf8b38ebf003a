// The README's Swift tour, run as written (on a small copy of the demo data, for one epoch), so that the
// example cannot drift away from the API.
import Foundation
import Testing
import Petal

@Suite struct ReadmeTourTests {
    @Test func theTourRuns() throws {
        let dir = try CLI.tinyDataSet(perClass: 12)
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = dir.appendingPathComponent("data")
        let best = dir.appendingPathComponent("best.safetensors")
        let photo = dir.appendingPathComponent("data/rose/" + (try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("data/rose").path).sorted().first!))

        // — from README.md, with the data path, epochs, width and batch size made small —
        let augmentation = AugmentationPolicy(rotationRange: 30, widthShiftRange: 0.1, heightShiftRange: 0.1,
                                              zoomRange: AugmentationPolicy.zoom(0.2), horizontalFlip: true)
        let data = try DataPipeline.prepare(root: root,
                                            config: DataConfig(classes: ["daisy", "rose"], batchSize: 4, augmentation: augmentation,
                                                               appendAugmentedCopy: true), log: { _ in })
        let model = try ResNet(depth: .r18, variant: .preActivation, classes: 2, baseWidth: 4)
        let optimizer = try SGD(parameters: model.parameters, learningRate: 0.1, clipping: .normPerTensor(1))
        let history = try Trainer.fit(model, train: data.train, validation: data.validation, epochs: 1, optimizer: optimizer,
                                      callbacks: [try LearningRateScheduler(.stepDecay(base: 0.1, factor: 0.5, every: 1)),
                                                  ModelCheckpoint(file: best, monitor: "val_auc"),
                                                  ProgressBar(interactive: false, write: { _ in })])
        #expect(history.values("val_auc").count == 1)
        try model.load(from: best)
        let evaluation = try evaluate(model, on: data.validation)
        let x = try ImageInput.tensor(from: photo, config: data.train.config)
        let probabilities = try model.predictProbabilities(x)
        let session = InferenceSession(model)
        let p = try session.probabilities(x)

        var configuration = RunConfiguration(dataDirectory: root, epochs: 1)
        configuration.model.width = 4; configuration.data.batchSize = 4  // made small
        let folder = try RunFolder.create(at: dir.appendingPathComponent("runs/mine"))
        let result = try TrainingRun(configuration: configuration, folder: folder).run(log: { _ in })
        // — end of the tour —

        #expect(p.scalars == probabilities.scalars, "the session replays the model")
        #expect(result.evaluation?.count == 6 && result.history.count == 1 && folder.contains(RunFiles.report))

        #expect(evaluation.count == 6 && evaluation.classCount == 2)
        #expect(probabilities.shape == [1, 2] && abs(probabilities.scalars.reduce(0, +) - 1) < 1e-5)
    }
}
