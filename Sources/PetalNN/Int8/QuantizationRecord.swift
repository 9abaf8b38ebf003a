// What an int8 model file records beside the fp32 weights: the calibration (how, on how many images, from where)
// and each activation's range. Weight codes are not stored: they follow deterministically from the weights (batch
// norms folded, symmetric per output channel), so the file stays a torchvision-named state dict that every other
// Petal command reads too.

/// How a model was quantized: enough to rebuild its ``QuantizedModel`` from its fp32 weights without calibrating again.
public struct QuantizationRecord: Codable, Equatable, Sendable {
    /// How each activation's range was chosen.
    public var method: CalibrationMethod
    /// How many calibration images were seen.
    public var calibrationImages: Int
    /// The calibration data set, relative to the file's folder when it lies below it (else as given).
    public var calibrationData: String?
    /// Whether the convolution that reads the image stayed fp32.
    public var keepsFirstConvolution: Bool
    /// [channels, height, width] of the inputs.
    public var inputShape: [Int]
    /// Each activation's range [low, high], by the traced graph's value names.
    public var activationRanges: [String: [Float]]

    /// - Parameters: as the properties of the same names.
    public init(method: CalibrationMethod, calibrationImages: Int, calibrationData: String? = nil, keepsFirstConvolution: Bool,
                inputShape: [Int], activationRanges: [String: [Float]]) {
        (self.method, self.calibrationImages, self.calibrationData) = (method, calibrationImages, calibrationData)
        (self.keepsFirstConvolution, self.inputShape, self.activationRanges) = (keepsFirstConvolution, inputShape, activationRanges)
    }

    /// The key of a checkpoint header's metadata that holds this record as JSON.
    public static let metadataKey = "petal_int8"

    /// Checks what a reader relies on (a file is untrusted input), naming the first bad field.
    /// - Throws: ``ModelError/invalidConfiguration(_:)``.
    public func validate() throws {
        func bad(_ reason: String) -> ModelError { .invalidConfiguration("int8 metadata: \(reason)") }
        guard calibrationImages > 0 else { throw bad("calibrationImages must be positive, got \(calibrationImages)") }
        guard inputShape.count == 3, inputShape.allSatisfy({ (1...8192).contains($0) }) else { throw bad("inputShape must be [channels, height, width], got \(inputShape)") }
        for (name, range) in activationRanges {
            guard range.count == 2, range.allSatisfy(\.isFinite), range[0] <= 0, range[1] >= 0 else {
                throw bad("the range of '\(name)' must be [low ≤ 0, high ≥ 0], finite, got \(range)")
            }
        }
    }
}
