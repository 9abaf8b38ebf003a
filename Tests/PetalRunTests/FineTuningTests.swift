// Fine-tuning from published weights: the first epochs train only the new classifier (the rest keeps its weights and
// batch-norm statistics exactly), then everything learns.
import Foundation
import Testing
@testable import PetalRun

@Suite struct FineTuningTests {
    final class Snapshot: Callback {
        var afterEpoch: [[String: [Float]]] = []
        func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
            afterEpoch.append(Dictionary(uniqueKeysWithValues: state.model.stateDict.map { ($0.name, $0.tensor.scalars) }))
        }
    }

    @Test func frozenEpochsTrainOnlyTheClassifierThenEverythingLearns() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let pth = RunFixtures.repository.appendingPathComponent("Tests/PetalNNTests/Fixtures/pytorch_resnet18_w4.pth")
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 2)
        configuration.model.variant = .v1
        (configuration.pretrained, configuration.freezeEpochs) = (pth, 1)
        let loaded = Dictionary(uniqueKeysWithValues: try PretrainedWeights.read(pth).tensors.map { ($0.name, $0.tensor.scalars) })
        let snapshot = Snapshot()
        _ = try TrainingRun(configuration: configuration, folder: try RunFolder.create(at: root.appendingPathComponent("run")))
            .run(callbacks: [snapshot], writeReport: false, log: { _ in })
        let (first, second) = (snapshot.afterEpoch[0], snapshot.afterEpoch[1])
        for (name, values) in first where !name.hasPrefix("fc.") {
            #expect(values == loaded[name], "\(name) changed while frozen")
        }
        #expect(first["fc.weight"] != second["fc.weight"], "the classifier learns")
        #expect(second["conv1.weight"] != loaded["conv1.weight"] && second["layer1.0.bn1.running_mean"] != loaded["layer1.0.bn1.running_mean"],
                "everything learns once unfrozen")
        // torchvision's weights for the default pre-activation network: the error says which variant they are (issue 31, item 23).
        configuration.model.variant = .preActivation
        do { _ = try configuration.makeModel(classes: 2); Issue.record("v1 weights loaded into a pre-activation ResNet") } catch ModelError.checkpoint(_, let reason) {
            #expect(reason.contains("does not fit the model") && reason.hasSuffix("these are torchvision's ResNet (v1) weights: choose the v1 variant (--variant v1)"), "\(reason)")
        }
        configuration.pretrained = nil
        #expect(throws: RunError.invalidSetting("freezeEpochs", reason: "needs pretrained weights: a frozen random network learns nothing")) {
            try configuration.validate()
        }
    }
}
