// The networks built by name: each has torchvision's parameter count, and the multiply-adds traced from its forward
// pass equal PyTorch's FlopCounterMode's (Scripts/fixtures/multiply_adds.py).
import Foundation
import Testing
@testable import PetalNN

@Suite struct ModelZooTests {
    @Test func everyEntryBuildsWithItsPublishedParameterCount() throws {
        for entry in ModelZoo.entries where entry.parameters < 60_000_000 {  // the two largest ConvNeXts: counted in ConvNeXtTests' way, skipped for time
            #expect(try ModelZoo.make(entry.name, classes: 1000, initializer: .skip).parameterCount == entry.parameters, "\(entry.name)")
        }
        #expect(throws: ModelError.self) { try ModelZoo.make("mobilenet_v4", classes: 2, initializer: .skip) }
    }

    /// torchvision's networks at 1000 classes, one image.
    @Test(arguments: [("resnet18", 224, 1_814_073_344), ("resnet50", 224, 4_089_184_256), ("mobilenet_v3_small", 224, 56_510_400),
                      ("efficientnet_b0", 224, 385_814_752), ("convnext_tiny", 224, 4_455_531_264), ("resnet18", 100, 441_774_848),
                      ("convnext_tiny", 100, 830_745_120), ("vit_b_16", 224, 17_563_828_224)])
    func multiplyAddsEqualPyTorchsCount(name: String, crop: Int, expected: Int) throws {
        let model: Module = try ResNet.Depth(name: name).map { try ResNet(depth: $0, variant: .v1, classes: 1000, initializer: .skip) }
            ?? ModelZoo.make(name, classes: 1000, initializer: .skip)
        #expect(try withoutGradients { try model.inferenceGraph(inputShape: [3, crop, crop]).multiplyAdds } == expected)
    }
}
