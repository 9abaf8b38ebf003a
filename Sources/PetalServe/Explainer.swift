#if Serve
// What the try-it page shows beside a prediction: the exact crop the model saw and a Grad-CAM overlay of where it looked
// for the predicted class. Grad-CAM runs the fp32 network with gradients (an int8 model's fp32 weights), one image at a
// time on a thread of its own, so it never holds a cooperative thread nor races the batching predictor's passes.
import Foundation
import PetalImage
import PetalRun

final class Explainer: @unchecked Sendable {
    private let model: TrainedModel
    private let thread = ComputeThread(name: "petal.serve.explain")

    init(_ model: TrainedModel) { self.model = model }

    /// PNG bytes of `input` ([1, 3, H, W], as prepared for the model) and of its Grad-CAM overlay for class `label`.
    func pictures(of input: Tensor, label: Int) async throws -> (crop: [UInt8], gradCAM: [UInt8]) {
        try await withCheckedThrowingContinuation { continuation in
            thread.run { [model] in
                continuation.resume(with: Result {
                    let cam = try GradCAM.explain(model.model, image: input, classIndex: label)
                    let crop = try InputPicture.image(of: input)
                    return (try crop.encoded(as: .png), try GradCAM.overlay(cam.heatmap, onInput: input).toBytes().encoded(as: .png))
                })
            }
        }
    }

    func stop() { thread.stop() }
}
#endif
