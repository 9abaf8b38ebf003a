// The loss and evaluation options a run can take beyond the tutorial's recipe: label smoothing, balanced class
// weights and test-time augmentation with mirror images.
import Foundation
import Testing
@testable import PetalRun

@Suite struct RecipeOptionsTests {
    @Test func theDefaultIsTheMeasuredRecipeAndTheTutorialStaysAPreset() throws {
        let standard = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/data"))
        #expect(standard.recipe == .standard && standard.schedule == .cosine)
        #expect(standard.optimizer == OptimizerSettings(kind: .sgd, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, clipNorm: 1))
        let tutorial = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/data"), recipe: .tutorial)
        #expect(tutorial.optimizer == OptimizerSettings(kind: .sgd, learningRate: 0.1, momentum: 0, weightDecay: 0, clipNorm: 0))
        #expect(tutorial.schedule == .stepDecay(factor: 0.5, every: 1) && tutorial.recipeDescription == "tutorial")
        let changed = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/data"), recipe: .tutorial, schedule: .constant)
        #expect(changed.recipeDescription == "tutorial, schedule constant" && changed.optimizer == tutorial.optimizer)
        // A config.json written before recipes existed has no recipe key; it still loads and says what it used.
        var json = try #require(try JSONSerialization.jsonObject(with: RunJSON.encode(tutorial)) as? [String: Any])
        json["recipe"] = nil
        let old = try RunJSON.decode(RunConfiguration.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.recipe == nil && old.optimizer == tutorial.optimizer && old.recipeDescription == "custom: sgd lr 0.1, ×0.5 every epoch")
    }

    /// The standard recipe's batch-norm momentum for MobileNetV3 reaches every batch norm of the network, survives a
    /// config.json round trip, and is the network's own (torchvision's 0.01) when not set.
    @Test func theBatchNormMomentumReachesEveryBatchNorm() throws {
        #expect(Recipe.standard.batchNormMomentum(for: .mobileNetV3Small) == 0.1 && Recipe.tutorial.batchNormMomentum(for: .mobileNetV3Small) == nil)
        #expect(Recipe.standard.batchNormMomentum(for: .resnet) == nil && Recipe.standard.batchNormMomentum(for: .efficientNetB0) == nil)
        var settings = ModelSettings()
        (settings.architecture, settings.widthMultiplier) = (.mobileNetV3Small, 0.25)
        func momenta(_ s: ModelSettings) throws -> Set<Float> {
            Set(try s.makeModel(classes: 2, seed: 1).namedModules.compactMap { ($0.module as? BatchNorm2D)?.momentum })
        }
        #expect(try momenta(settings) == [0.01])
        settings.batchNormMomentum = 0.1
        #expect(try momenta(settings) == [0.1])
        let back = try JSONDecoder().decode(ModelSettings.self, from: try JSONEncoder().encode(settings))
        #expect(back == settings && settings.modelDescription.hasSuffix("batch-norm momentum 0.1)"))
    }

    @Test func theLossFollowsTheConfiguration() {
        var c = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/data"))
        #expect(c.loss(classCounts: [3, 1]) == .categoricalCrossEntropy(classWeights: nil, labelSmoothing: 0))
        (c.labelSmoothing, c.balancedClassWeights) = (0.1, true)
        // scikit-learn's balanced weights: n / (classes · count) = 4 / (2 · 3) and 4 / (2 · 1).
        #expect(c.loss(classCounts: [3, 1]) == .categoricalCrossEntropy(classWeights: [Float(4) / 6, 2], labelSmoothing: 0.1))
    }

    @Test func mirrorAveragingIsTheMeanOfTheTwoPredictions() throws {
        // One-row images [1, 1, 1, 3]: the mirror image reverses the three pixels.
        let g = WeightInitializer(seed: 4)
        let model = Sequential(Flatten(), try Dense(3, 2, initializer: g))
        let x = try Tensor(shape: [2, 1, 1, 3], scalars: [1, 2, 3, -1, 0, 4])
        let source = try ArrayBatchSource(images: x, labels: [0, 1], classCount: 2, batchSize: 2)
        let plain = try evaluate(model, on: source)
        let averaged = try evaluate(model, on: source, flipAveraging: true)
        let mirrored = try withoutGradients { try model(Tensor(shape: [2, 1, 1, 3], scalars: [3, 2, 1, 4, 0, -1])).softmax().scalars }
        let expected = zip(plain.probabilities, mirrored).map { ($0 + $1) / 2 }
        #expect(zip(averaged.probabilities, expected).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(averaged.probabilities != plain.probabilities)
        let loss = -(log(Double(expected[0])) + log(Double(expected[3]))) / 2
        #expect(abs(averaged.loss - loss) < 1e-6)
    }

    @Test func aRunWithTheOptionsRecordsThemAndEvaluatesWithMirrors() throws {
        let dir = try RunFixtures.tinyDataSet(perClass: 10)
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = RunFixtures.configuration(data: dir.appendingPathComponent("data"), epochs: 1)
        (c.labelSmoothing, c.balancedClassWeights, c.testTimeAugmentation) = (0.1, true, true)
        let folder = try RunFolder.create(at: dir.appendingPathComponent("run"))
        let result = try TrainingRun(configuration: c, folder: folder).run(writeReport: false, log: { _ in })
        let saved = try RunJSON.decode(RunConfiguration.self, from: Data(contentsOf: dir.appendingPathComponent("run/config.json")))
        #expect(saved.labelSmoothing == 0.1 && saved.balancedClassWeights == true && saved.testTimeAugmentation == true)
        // evaluation.json is the mirror-averaged evaluation of best.safetensors.
        let trained = try TrainedModel(checkpoint: dir.appendingPathComponent("run/best.safetensors"))
        let again = try trained.evaluate(on: dir.appendingPathComponent("data"))
        let mirrored = EvaluationSummary(try trained.evaluation(on: dir.appendingPathComponent("data"), flipAveraging: true).evaluation,
                                         classes: trained.classNames)
        let recorded = try #require(result.evaluation)
        #expect(abs(recorded.loss - mirrored.loss) < 1e-6 && recorded.auc == mirrored.auc)
        #expect(abs(recorded.loss - again.loss) > 1e-9, "the recorded evaluation is not the plain one")
    }
}
