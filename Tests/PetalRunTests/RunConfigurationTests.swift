// Every setting of a run is checked before any work, naming the setting.
import Foundation
import Testing
@testable import PetalRun

@Suite struct RunConfigurationTests {
    static func bad(_ change: (inout RunConfiguration) -> Void) -> RunConfiguration {
        var c = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/data"))
        change(&c)
        return c
    }

    static let cases: [(String, RunConfiguration)] = [
        ("epochs", bad { $0.epochs = 0 }),
        ("width", bad { $0.model.width = 0 }),
        ("width", bad { $0.model.width = 5000 }),
        ("learningRate", bad { $0.optimizer.learningRate = -1 }),
        ("learningRate", bad { $0.optimizer.learningRate = .nan }),
        ("learningRate", bad { $0.optimizer.learningRate = .infinity }),
        ("momentum", bad { $0.optimizer.momentum = 1 }),
        ("weightDecay", bad { $0.optimizer.weightDecay = -0.1 }),
        ("clipNorm", bad { $0.optimizer.clipNorm = -1 }),
        ("clipNorm", bad { $0.optimizer.clipNorm = .nan }),
        ("decayFactor", bad { $0.schedule = .stepDecay(factor: .nan, every: 1) }),
        ("decayFactor", bad { $0.schedule = .stepDecay(factor: 0, every: 1) }),
        ("decayEvery", bad { $0.schedule = .stepDecay(factor: 0.5, every: 0) }),
        ("monitor", bad { $0.monitor = "val_acc" }),
        ("labelSmoothing", bad { $0.labelSmoothing = 1 }),
        ("labelSmoothing", bad { $0.labelSmoothing = -0.1 }),
        ("labelSmoothing", bad { $0.labelSmoothing = .nan }),
        ("earlyStoppingPatience", bad { $0.earlyStoppingPatience = 0 }),
        ("validationFraction", bad { $0.data.validationFraction = 0 }),
        ("validationFraction", bad { $0.data.validationFraction = 1 }),
        ("crop", bad { $0.data.cropHeight = 0 }),
        ("crop", bad { $0.data.cropWidth = 100_000 }),
        ("batchSize", bad { $0.data.batchSize = 0 }),
        ("nesterov", bad { $0.optimizer.kind = .adam; $0.optimizer.nesterov = true }),
        ("perClassLimit", bad { $0.data.perClassLimit = 0 }),
    ]

    @Test func everyBadSettingIsNamed() throws {
        for (name, configuration) in Self.cases {
            do {
                try configuration.validate()
                Issue.record("\(name): accepted")
            } catch let RunError.invalidSetting(setting, reason) {
                #expect(setting == name || (name == "earlyStoppingPatience" && setting == "earlyStopping"), "\(name): named \(setting) (\(reason))")
            }
        }
        #expect(throws: Never.self) { try RunConfiguration(dataDirectory: URL(fileURLWithPath: "/data")).validate() }
    }

    /// `--model` and `config.json` name exactly the ResNets and the networks ``ModelZoo`` builds, and each builds.
    @Test func everyArchitectureIsAZooNetworkOrAResNet() throws {
        #expect(ModelSettings.Architecture.allCases.map(\.rawValue) == ["resnet"] + ModelZoo.entries.map(\.name))
        for architecture in ModelSettings.Architecture.allCases {
            var settings = ModelSettings(width: 4)
            (settings.architecture, settings.widthMultiplier) = (architecture, 0.25)
            let model = try settings.makeModel(classes: 3, seed: 1)
            #expect(settings.checkpointMetadata(for: model).architecture == architecture.rawValue)
        }
    }

    @Test func theConfigurationIsTypedJSON() throws {
        let c = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/data"), model: ModelSettings(depth: .r50, variant: .v1, convolution: .direct),
                                 optimizer: OptimizerSettings(kind: .adamw, learningRate: 0.001), schedule: .oneCycle)
        let json = try #require(try JSONSerialization.jsonObject(with: RunJSON.encode(c)) as? [String: Any])
        let model = try #require(json["model"] as? [String: Any])
        #expect(model["depth"] as? Int == 50 && model["variant"] as? String == "v1" && model["convolution"] as? String == "direct")
        #expect((json["optimizer"] as? [String: Any])?["kind"] as? String == "adamw")
        #expect(try RunJSON.decode(RunConfiguration.self, from: RunJSON.encode(c)) == c)
    }

    @Test func theResolvedScheduleFollowsThePolicy() {
        #expect(SchedulePolicy.stepDecay(factor: 0.5, every: 1).schedule(base: 0.1, epochs: 3, stepsPerEpoch: 5) == .stepDecay(base: 0.1, factor: 0.5, every: 1))
        #expect(SchedulePolicy.constant.schedule(base: 0.05, epochs: 3, stepsPerEpoch: 5) == .constant(0.05))
        #expect(SchedulePolicy.cosine.schedule(base: 0.1, epochs: 3, stepsPerEpoch: 5) == .cosine(base: 0.1, minimum: 0.001, warmupSteps: 5, totalSteps: 15))
    }

    @Test func discriminativeRatesRiseGeometricallyFromTheFirstLayerToTheClassifier() throws {
        let model = try ResNet(depth: .r18, variant: .v1, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 1))
        var settings = OptimizerSettings()
        settings.discriminativeFactor = 0.01
        let optimizer = try settings.makeOptimizer(for: model)
        let scales = try #require(optimizer.learningRateScales)
        let names = model.namedParameters.map(\.name)
        #expect(scales.count == names.count)
        let byName = Dictionary(uniqueKeysWithValues: zip(names, scales))
        // conv1, bn1, layer1…layer4, fc: seven groups from 0.01 to 1.
        #expect(abs(byName["conv1.weight"]! - 0.01) < 1e-6 && byName["fc.weight"] == 1 && byName["fc.bias"] == 1)
        #expect(abs(byName["layer2.0.conv1.weight"]! - Float(pow(0.01, 3.0 / 6))) < 1e-6)
        #expect(zip(scales, scales.dropFirst()).allSatisfy { $0 <= $1 }, "rising through the network")
        var bad = RunConfiguration(dataDirectory: URL(fileURLWithPath: "/d"))
        bad.optimizer.discriminativeFactor = 0
        #expect(throws: RunError.self) { try bad.validate() }
    }
}

