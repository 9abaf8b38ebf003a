// Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
// Localization"): where a network looked for a class. The last feature map A (for a ResNet, the map global pooling reads)
// are weighted per channel by the mean gradient of the class's logit, summed over channels and clamped at zero; the
// coarse map is scaled to [0, 1] and resized to the image. Computed with Petal's own autodiff, in eval mode.
import Foundation
import PetalImage
import PetalNN
import PetalTensor

/// Grad-CAM heatmaps of an image classifier's predictions.
public enum GradCAM {
    /// What Grad-CAM found for one image.
    public struct Result {
        /// The heatmap at the input's height and width, values in [0, 1] (1 where the class's evidence is strongest).
        public let heatmap: Image<Float>
        /// The class explained.
        public let classIndex: Int
        /// The model's probabilities for the image.
        public let probabilities: [Float]
    }

    /// The heatmap of `model` for the image `x` ([1, channels, H, W], prepared as for prediction).
    /// - Parameter classIndex: the class to explain; the predicted one by default.
    /// - Throws: for an input the model rejects, or a class index out of range.
    public static func explain(_ model: any ImageClassifier, image x: Tensor, classIndex: Int? = nil) throws -> Result {
        guard x.rank == 4, x.shape[0] == 1 else {
            throw RunError.invalidSetting("image", reason: "Grad-CAM explains one image [1, C, H, W], got \(x.shape)")
        }
        defer { model.zeroGrad() }
        // The activations become a leaf, so that backward stops there and leaves their gradient.
        let activations = try model.evaluating { try model.features(x) }.detached().requiringGradient()
        let logits = try model.evaluating { try model.logits(fromFeatures: activations) }
        let probabilities = try withoutGradients { try logits.softmax() }.scalars
        let k = classIndex ?? probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        guard probabilities.indices.contains(k) else {
            throw RunError.invalidSetting("classIndex", reason: "must be in 0..<\(probabilities.count), got \(k)")
        }
        var selector = [Float](repeating: 0, count: probabilities.count)
        selector[k] = 1
        try (logits * Tensor(shape: [1, probabilities.count], scalars: selector)).sum().backward()
        guard let grad = activations.grad else { throw RunError.data("Grad-CAM: no gradient reached the last stage") }
        let map = try withoutGradients { try model.spatialMap(of: activations.detached(), inputShape: x.shape) }
        let (a, gradient) = (map.scalars, try withoutGradients { try model.spatialMap(of: grad, inputShape: x.shape) }.scalars)
        let (c, mh, mw) = (map.shape[1], map.shape[2], map.shape[3])
        let plane = mh * mw
        var cam = [Float](repeating: 0, count: plane)
        for ch in 0..<c {
            let weight = (0..<plane).reduce(Float(0)) { $0 + gradient[ch * plane + $1] } / Float(plane)
            for i in 0..<plane { cam[i] += weight * a[ch * plane + i] }
        }
        let top = cam.map { max($0, 0) }.max() ?? 0
        let scaled = cam.map { top > 0 ? max($0, 0) / top : 0 }
        let coarse = try Image<Float>(height: mh, width: mw, channels: 1, pixels: scaled)
        return Result(heatmap: coarse.resized(height: x.shape[2], width: x.shape[3]), classIndex: k, probabilities: probabilities)
    }

    /// The network's input `x` ([1, 3, H, W]) as a picture (a normalised input rescaled to its range) with the heatmap
    /// laid over it.
    public static func overlay(_ heatmap: Image<Float>, onInput x: Tensor) throws -> Image<Float> {
        try overlay(heatmap, on: InputPicture.image(of: x).toFloat())
    }

    /// `image` (RGB, values in [0, 1]) with the heatmap laid over it in a blue → green → red scale, each pixel's colour
    /// as opaque as its heat (up to `opacity`), so the photo stays visible where the network found no evidence.
    public static func overlay(_ heatmap: Image<Float>, on image: Image<Float>, opacity: Float = 0.6) throws -> Image<Float> {
        guard heatmap.height == image.height, heatmap.width == image.width, image.channels == 3 else {
            throw RunError.invalidSetting("heatmap", reason: "must match an RGB image's size (\(heatmap.height)×\(heatmap.width) against \(image.height)×\(image.width)×\(image.channels))")
        }
        var pixels = image.pixels
        for i in 0..<(image.height * image.width) {
            let v = heatmap.pixels[i]
            let colour = [1.5 - abs(4 * v - 3), 1.5 - abs(4 * v - 2), 1.5 - abs(4 * v - 1)].map { min(max($0, 0), 1) }
            let a = opacity * min(max(v, 0), 1)
            for ch in 0..<3 { pixels[i * 3 + ch] = (1 - a) * pixels[i * 3 + ch] + a * colour[ch] }
        }
        return try Image(height: image.height, width: image.width, channels: 3, pixels: pixels)
    }
}
