// The tutorial's network against Keras 3 itself: keras-resnet's ResNet-18 structure at width 4
// (Scripts/fixtures/keras_resnet_fixtures.py) loads into `ResNet(variant: .keras)` and gives Keras' eval logits, its
// training-mode logits and loss with the l2(1e-4) kernel penalties, every gradient of that loss, and the batch-norm
// statistics Keras' momentum and biased variance leave after the step. 64-pixel inputs make every "same" padding odd.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalNN

@Suite struct KerasResNetTests {
    @Test func reproducesKerasResNet18() throws {
        let model = try ResNet(depth: .r18, variant: .keras, classes: 3, baseWidth: 4, initializer: .skip)
        try model.load(try ReferenceFixture.load("keras_resnet18_w4"), source: "keras_resnet18_w4")
        // A convolution bias that a training-mode batch norm follows has a zero gradient: both sides hold rounding
        // (about 1e-7 against 5e-10), so the floor is absolute there.
        try ReferenceFixture.expectMatches(model, try ReferenceFixture.load("keras_resnet18_w4.expected"), labels: [0, 2, 1, 2], gradientFloor: 1e-6)
    }
}
