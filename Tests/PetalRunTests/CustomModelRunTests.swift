// A run composes: a user's own Module, its own optimizer factory and batches held in memory go through the same run
// folder, stop, resume and report as the built-in ResNet on class folders.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalRun

/// A user's network written with public layers only, and no ImageClassifier conformance (so no freezing or Grad-CAM).
final class StripesNet: Module {
    let conv: Conv2D, norm = try! BatchNorm2D(4), pool = AvgPool2D(kernel: 6), head: Dense

    init(classes: Int, seed: UInt64) throws {
        conv = try Conv2D(3, 4, kernel: 3, padding: 1, bias: false, initializer: WeightInitializer(seed: seed))
        head = try Dense(16, classes, initializer: WeightInitializer(seed: seed &+ 1))
        super.init()
        registerChild("conv", conv)
        registerChild("norm", norm)
        registerChild("pool", pool)
        registerChild("head", head)
    }

    override func forward(_ x: Tensor) throws -> Tensor { try head(pool(norm(conv(x)).relu()).flattened()) }
}

struct StripesNetFactory: ModelFactory {
    func makeModel(classes: Int, seed: UInt64) throws -> Module { try StripesNet(classes: classes, seed: seed) }
    var modelDescription: String { "StripesNet (4 channels)" }
}

/// Plain SGD at the configured rate, counting the optimizers it built.
final class CountingSGD: OptimizerFactory {
    private(set) var built = 0
    func makeOptimizer(for model: Module, learningRate: Float?) throws -> Optimizer {
        built += 1
        return try SGD(parameters: model.parameters, learningRate: learningRate ?? 0.1, momentum: 0.9)
    }
}

@Suite(.serialized) struct CustomModelRunTests {
    /// Images [n, 3, 12, 12] of two classes: bright top rows (class 0) or bright bottom rows (class 1), with noise.
    static func stripes(count: Int, seed: UInt64, batchSize: Int, shuffle: Bool) throws -> ArrayBatchSource {
        var g = SeededGenerator(seed: seed)
        var pixels: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let label = i % 2
            labels.append(label)
            for _ in 0..<3 {
                for y in 0..<12 {
                    for _ in 0..<12 { pixels.append(((y < 6) == (label == 0) ? 1 : 0) + 0.3 * g.nextNormal()) }
                }
            }
        }
        return try ArrayBatchSource(images: Tensor(shape: [count, 3, 12, 12], scalars: pixels), labels: labels, classCount: 2,
                                    batchSize: batchSize, shuffleSeed: shuffle ? seed : nil)
    }

    static func data() throws -> RunData {
        try RunData(classNames: ["top", "bottom"], train: stripes(count: 32, seed: 1, batchSize: 8, shuffle: true),
                    validation: stripes(count: 16, seed: 2, batchSize: 8, shuffle: false), description: "stripes in memory")
    }

    static func configuration() -> RunConfiguration {
        // The data directory is never read: the run is given its batches.
        RunConfiguration(dataDirectory: URL(fileURLWithPath: "/nonexistent"), optimizer: OptimizerSettings(learningRate: 0.1, momentum: 0.9),
                         schedule: .cosine, epochs: 4)
    }

    @Test func aUserModelOnInMemoryBatchesTrainsResumesAndGetsAReport() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petal-custom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = try Self.data()

        let optimizer = CountingSGD()
        let whole = try RunFolder.create(at: root.appendingPathComponent("whole"))
        let result = try TrainingRun(configuration: Self.configuration(), folder: whole, model: StripesNetFactory(), optimizer: optimizer, data: data)
            .run(log: { _ in })
        #expect(optimizer.built == 1, "the run builds its optimizer with the factory it was given")
        #expect(result.history.count == 4 && result.stopReason == nil)
        let evaluation = try #require(result.evaluation)
        #expect(evaluation.count == 16 && evaluation.classes == ["top", "bottom"])
        #expect(evaluation.accuracy >= 0.9 && (evaluation.auc ?? 0) >= 0.95, "the stripes are easy: \(evaluation.accuracy), \(evaluation.auc ?? .nan)")

        // The folder says what trained on what, and holds nothing of class folders.
        let saved = try whole.readJSON(RunConfiguration.self, from: RunFiles.configuration)
        #expect(saved.customModel == "StripesNet (4 channels)" && saved.customData == "stripes in memory")
        #expect(!whole.contains(RunFiles.split) && !whole.contains(RunFiles.scan) && !whole.contains("samples.png"))
        let report = try String(contentsOf: whole.file(RunFiles.report), encoding: .utf8)
        for text in ["StripesNet (4 channels)", "stripes in memory", "ROC AUC", "Confusion matrix"] {
            #expect(report.contains(text), "the report lacks \(text)")
        }
        let metadata = try #require(try StripesNet(classes: 2, seed: 0).load(from: whole.file(RunFiles.best)))
        #expect(metadata.architecture == "StripesNet" && metadata.classNames == ["top", "bottom"])

        // Stopped in its third epoch and resumed with the same model and data: the uninterrupted run's history and weights.
        let cutURL = root.appendingPathComponent("cut")
        let stop = StopSignal()
        var first: RunFolder? = try RunFolder.create(at: cutURL)
        let stopped = try TrainingRun(configuration: Self.configuration(), folder: first!, model: StripesNetFactory(), optimizer: CountingSGD(), data: data)
            .run(callbacks: [RunFixtures.StopAt(epoch: 2, batch: 1, signal: stop)], stop: stop, log: { _ in })
        #expect(stopped.stopCode == 2 && stopped.history.count == 2)
        first = nil  // releases the folder's lock
        #expect(throws: RunError.cannotResume(path: cutURL.path, reason: "it trained a model of its own (StripesNet (4 channels)); resume it with that model's factory")) {
            try TrainingRun(resuming: try RunFolder.open(cutURL), data: data)
        }
        #expect(throws: RunError.cannotResume(path: cutURL.path, reason: "it trained on data of its own (stripes in memory); resume it with the same data")) {
            try TrainingRun(resuming: try RunFolder.open(cutURL), model: StripesNetFactory())
        }
        let resumed = try TrainingRun(resuming: try RunFolder.open(cutURL), model: StripesNetFactory(), optimizer: CountingSGD(), data: data)
            .run(log: { _ in })
        #expect(resumed.history.count == 4 && resumed.evaluation?.auc == evaluation.auc)
        let cut = try RunFolder.open(cutURL)
        #expect(try String(contentsOf: cut.file(RunFiles.history), encoding: .utf8) == String(contentsOf: whole.file(RunFiles.history), encoding: .utf8))
        let (a, b) = (try SafeTensors(data: Data(contentsOf: whole.file(RunFiles.best)), source: "whole"),
                      try SafeTensors(data: Data(contentsOf: cut.file(RunFiles.best)), source: "cut"))
        #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
        for (x, y) in zip(a.tensors, b.tensors) { #expect(x.tensor.scalars == y.tensor.scalars, "best: \(x.name) differs") }
    }

    /// Early stopping counts on across a resume (an interrupted run stops where the uninterrupted one did), and a run
    /// it ended is not resumed.
    @Test func earlyStoppingSurvivesAResumeAndEndsTheRunForGood() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petal-custom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = try Self.data()
        var configuration = Self.configuration()
        (configuration.epochs, configuration.earlyStoppingPatience) = (12, 2)
        let whole = try RunFolder.create(at: root.appendingPathComponent("whole"))
        let result = try TrainingRun(configuration: configuration, folder: whole, model: StripesNetFactory(), data: data).run(writeReport: false, log: { _ in })
        let stopReason = try #require(result.stopReason)
        #expect(stopReason.hasPrefix("early stopping: val_auc did not improve for 2 epochs") && result.history.count < 12, "\(stopReason)")
        #expect(whole.contains(RunFiles.last) && whole.contains(RunFiles.best))

        let cutURL = root.appendingPathComponent("cut")
        let stop = StopSignal()
        var first: RunFolder? = try RunFolder.create(at: cutURL)
        let stopped = try TrainingRun(configuration: configuration, folder: first!, model: StripesNetFactory(), data: data)
            .run(callbacks: [RunFixtures.StopAt(epoch: result.history.count - 2, batch: 1, signal: stop)], stop: stop, writeReport: false, log: { _ in })
        #expect(stopped.stopCode == 2 && stopped.history.count == result.history.count - 2)
        #expect(FileManager.default.fileExists(atPath: cutURL.appendingPathComponent(RunFiles.last).path), "a stopped run keeps its last completed epoch's model")
        first = nil
        let resumed = try TrainingRun(resuming: try RunFolder.open(cutURL), model: StripesNetFactory(), data: data).run(writeReport: false, log: { _ in })
        #expect(resumed.stopReason == stopReason && resumed.history.count == result.history.count)
        for file in [RunFiles.history, RunFiles.last, RunFiles.best] {
            #expect(try Data(contentsOf: cutURL.appendingPathComponent(file)) == Data(contentsOf: whole.file(file)), "\(file) differs")
        }
        #expect(throws: RunError.cannotResume(path: cutURL.path, reason: "it already ended (\(stopReason)) and was evaluated (petal report rebuilds its evaluation and report)")) {
            try TrainingRun(resuming: try RunFolder.open(cutURL), model: StripesNetFactory(), data: data).run(writeReport: false, log: { _ in })
        }
    }

    /// A run whose best checkpoint was deleted is not resumed into a run without one (issue 31, item 16).
    @Test func aResumeRefusesARunWhoseBestModelWasDeleted() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petal-custom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = try Self.data(), stop = StopSignal()
        var folder: RunFolder? = try RunFolder.create(at: root)
        let stopped = try TrainingRun(configuration: Self.configuration(), folder: folder!, model: StripesNetFactory(), data: data)
            .run(callbacks: [RunFixtures.StopAt(epoch: 2, batch: 0, signal: stop)], stop: stop, writeReport: false, log: { _ in })
        #expect(stopped.stopCode == 2 && stopped.history.count == 2)
        folder = nil
        try FileManager.default.removeItem(at: root.appendingPathComponent(RunFiles.best))
        #expect(throws: RunError.self) {
            try TrainingRun(resuming: try RunFolder.open(root), model: StripesNetFactory(), data: data).run(writeReport: false, log: { _ in })
        }
        do { _ = try TrainingRun(resuming: try RunFolder.open(root), model: StripesNetFactory(), data: data).run(writeReport: false, log: { _ in }) } catch {
            #expect("\(error.localizedDescription)".contains("best.safetensors, the best model so far (epoch "), "\(error)")
        }
    }

    @Test func freezingNeedsAModelWhoseHeadIsKnown() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petal-custom-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let weights = root.appendingPathComponent("start.safetensors")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try StripesNet(classes: 2, seed: 5).save(to: weights, metadata: CheckpointMetadata())
        var configuration = Self.configuration()
        (configuration.pretrained, configuration.freezeEpochs) = (weights, 1)
        let run = try TrainingRun(configuration: configuration, folder: try RunFolder.create(at: root.appendingPathComponent("run")),
                                  model: StripesNetFactory(), data: try Self.data())
        #expect(throws: RunError.invalidSetting("freezeEpochs", reason: "needs a model whose classifier head is known (an ImageClassifier); StripesNet is not one")) {
            try run.run(log: { _ in })
        }
    }

    @Test func batchSourcesMustAgreeWithTheClassNames() throws {
        let three = try ArrayBatchSource(images: Tensor.zeros([3, 3, 4, 4]), labels: [0, 1, 2], classCount: 3, batchSize: 2)
        #expect(throws: RunError.data("the batch sources have 3 (training) and 2 (validation) classes for 2 class names")) {
            try RunData(classNames: ["a", "b"], train: three, validation: try Self.stripes(count: 4, seed: 0, batchSize: 2, shuffle: false))
        }
        #expect(throws: TrainingError.self) {
            try ArrayBatchSource(images: Tensor.zeros([2, 3, 4, 4]), labels: [0, 2], classCount: 2, batchSize: 2)
        }
    }
}
