// What a training run will need in memory, known before its model is allocated, so that a configuration that cannot
// fit (a width of 512, a huge crop or batch) is refused with the figures instead of failing an allocation halfway.
import Foundation
import PetalNN

/// The memory a training run of a configuration needs, estimated.
struct MemoryEstimate {
    /// Weights, gradients, optimizer state and a blocked copy of the weights, in bytes.
    let parameterBytes: Double
    /// The layers' outputs kept for the backward pass, their gradients and the convolutions' workspace, in bytes.
    let activationBytes: Double
    var bytes: Double { parameterBytes + activationBytes }

    /// Bytes per activation value: its output, its gradient and scratch. Measured peaks of one epoch on the bundled
    /// flowers (64 images of 100×100 per step, less the parameters and 0.3 GB for the process) come to 1.4 to 2.4
    /// floats per value for ResNet-18 at widths 64 and 128 and ResNet-50 at width 32; this takes the largest.
    static let bytesPerActivation = 4.0 * 2.5

    /// Estimates a run of `configuration` with `classes` classes: the parameters from the architecture's counts, the
    /// activations from one forward pass of the same network at a width of at most 8 (a ResNet's) or a multiplier of
    /// at most 1 (a MobileNetV3's or an EfficientNet's), scaled to the configured width (activations grow in proportion to it).
    init(_ configuration: RunConfiguration, classes: Int) throws {
        var probe = configuration.model
        let scale: Double
        switch probe.architecture {
        case .resnet:
            probe.width = min(probe.width, 8)
            scale = Double(configuration.model.width) / Double(probe.width)
        default:
            probe.widthMultiplier = min(probe.widthMultiplier, 1)
            scale = configuration.model.widthMultiplier / probe.widthMultiplier
        }
        let data = configuration.data
        let perImage = try probe.makeModel(classes: classes, seed: 0).activationCount(inputShape: [1, 3, data.cropHeight, data.cropWidth])
        let images = Double(data.batchSize * (data.appendAugmentedCopy ? 2 : 1))
        parameterBytes = configuration.model.estimatedParameters * 4 * 4
        activationBytes = Double(perImage) * scale * images * Self.bytesPerActivation
    }

    /// The memory this process may use: the machine's, or its control group's limit when that is lower.
    static var available: Double {
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        let limits = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"].compactMap { path in
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return ([physical] + limits).min()!
    }

    /// Refuses a run that needs more than `available`, naming the option that weighs most and every figure.
    func check(_ configuration: RunConfiguration, available: Double = MemoryEstimate.available) throws {
        guard bytes > available * 0.9 else { return }
        let data = configuration.data
        let option = parameterBytes > activationBytes ? "width" : "batchSize"
        throw RunError.invalidSetting(option, reason: String(
            format: "training %@ on %d images of %d×%d per step needs about %.1f GB (%.1f GB of weights, gradients and optimizer state, %.1f GB of activations), more than the %.1f GB this machine has; lower --width, --batch-size or --crop",
            configuration.model.modelDescription, data.batchSize * (data.appendAugmentedCopy ? 2 : 1), data.cropHeight, data.cropWidth,
            bytes / 1e9, parameterBytes / 1e9, activationBytes / 1e9, available / 1e9))
    }
}
