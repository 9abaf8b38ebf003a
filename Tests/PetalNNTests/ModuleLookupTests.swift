// Typed children and parameters, and lookups by torchvision's dotted names that throw on an unknown name.
import Testing
@testable import PetalNN
import PetalTensor

@Suite struct ModuleLookupTests {
    @Test func dottedNamesFindTheTypedTensorsAndUnknownNamesThrow() throws {
        let model = try ResNet(depth: .r18, variant: .v1, classes: 3, baseWidth: 4, initializer: WeightInitializer(seed: 1))
        #expect(try model.tensor(named: "conv1.weight").revision == model.conv1.weight.revision, "the same storage")
        #expect(try model.tensor(named: "fc.bias").revision == model.fc.bias?.revision)
        #expect(try model.tensor(named: "layer1.0.bn1.running_var").shape == [4])
        #expect(try model.module(named: "layer2") === model.stages[1])
        #expect(model.stages.count == 4 && model.finalBatchNorm == nil)
        do {
            _ = try model.tensor(named: "layer1.0.conv9.weight")
            Issue.record("an unknown name was found")
        } catch ModelError.invalidConfiguration(let message) {
            #expect(message.contains("'layer1.0.conv9.weight'") && message.contains("layer1.0.conv1.weight"), "\(message)")
        }
        #expect(throws: ModelError.self) { try model.module(named: "layer5") }
        // A checkpoint load writes into the typed tensors themselves.
        let other = try ResNet(depth: .r18, variant: .v1, classes: 3, baseWidth: 4, initializer: WeightInitializer(seed: 2))
        try other.load(SafeTensors(tensors: model.stateDict), source: "memory")
        #expect(other.conv1.weight.scalars == model.conv1.weight.scalars && other.fc.weight.scalars == model.fc.weight.scalars)
        #expect(other.stateDict.map(\.name) == model.stateDict.map(\.name))
    }
}
