// What a training run, Grad-CAM and fine-tuning need to know about a classification network beyond its `forward`:
// where its classifier head is, and how its logits split into a spatial feature map and the head that reads it.
import PetalTensor

/// A network that maps images [N, C, H, W] to logits [N, classes] through a spatial feature map and a classifier head:
/// `forward(x) == logits(fromFeatures: features(x))`.
///
/// Any ``Module`` can be trained by a run; conforming adds what needs the split: freezing the backbone while the head
/// learns (`freezeEpochs`) and Grad-CAM heatmaps in the report.
public protocol ImageClassifier: Module {
    /// The modules that learn while the backbone is frozen (the classifier, e.g. a ResNet's `fc`).
    var classifierHead: [Module] { get }
    /// The last feature map the head reads ([N, channels, h, w], or what ``spatialMap(of:inputShape:)`` lays out as
    /// one): what Grad-CAM weighs.
    func features(_ x: Tensor) throws -> Tensor
    /// The logits computed from ``features(_:)``' output.
    func logits(fromFeatures features: Tensor) throws -> Tensor
    /// ``features(_:)``' output (or its gradient) for an input of `inputShape` as a map [N, channels, h, w]; the
    /// default returns it as it is (a ViT drops its class token and lays its patch tokens out as their grid).
    func spatialMap(of features: Tensor, inputShape: [Int]) throws -> Tensor
}

extension ImageClassifier {
    public func spatialMap(of features: Tensor, inputShape: [Int]) throws -> Tensor { features }
}

/// A network laid out as torchvision's MobileNetV3 and EfficientNet are: `features`, global average pooling, then
/// `classifier`; it is an ``ImageClassifier`` with nothing more to write.
public protocol PooledFeaturesClassifier: ImageClassifier {
    /// `features`: every layer before the pooling.
    var featureLayers: Sequential { get }
    /// `classifier`: what turns the pooled features into logits.
    var classifier: Sequential { get }
}

extension PooledFeaturesClassifier {
    public var classifierHead: [Module] { [classifier] }

    public func features(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw TensorError.shapeMismatch(op: layerDescription, message: "expects NCHW input with 3 channels, got \(x.shape)")
        }
        return try featureLayers(x)
    }

    public func logits(fromFeatures features: Tensor) throws -> Tensor { try classifier(features.globalAvgPool2d()) }
}

extension ResNet: ImageClassifier {
    public var classifierHead: [Module] { [fc] }

    public func logits(fromFeatures features: Tensor) throws -> Tensor { try fc(avgpool(features)) }
}
