// MobileNetV3 against torchvision's own: reduced-width Small and Large built by torchvision's constructors
// (Scripts/fixtures/mobilenet_fixtures.py) load by their names and give PyTorch's eval logits, training-mode logits
// and loss, every gradient and the batch-norm statistics after the step.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

@Suite struct MobileNetV3Tests {
    @Test(arguments: [("mobilenet_v3_small_w025", MobileNetV3.Size.small), ("mobilenet_v3_large_w025", .large)])
    func reproducesTorchvision(name: String, size: MobileNetV3.Size) throws {
        let model = try MobileNetV3(size, classes: 3, widthMultiplier: 0.25, dropout: 0, initializer: .skip)
        try model.load(try ReferenceFixture.load(name), source: name)  // strict: every name is torchvision's
        try ReferenceFixture.expectMatches(model, try ReferenceFixture.load(name + ".expected"), labels: [0, 2])
    }

    @Test func widthsRoundAsTorchvisionRoundsThem() {
        let (small, last) = MobileNetV3.blocks(.small, widthMultiplier: 0.25)
        #expect(small.map(\.expandedChannels) == [8, 24, 24, 24, 64, 64, 32, 40, 72, 144, 144] && last == 256)
        let (large, lastLarge) = MobileNetV3.blocks(.large)
        #expect(large.count == 15 && large.last?.outputChannels == 160 && lastLarge == 1280)
    }
}
