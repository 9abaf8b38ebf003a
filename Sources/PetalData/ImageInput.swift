// One image prepared exactly as the loaders prepare theirs (decode as RGB, centre crop by the small-image
// policy, planar Floats, normalisation), for prediction on new images with a trained model's settings.
import Foundation
import PetalImage

/// Turns image files into model inputs the way a `DataConfig` says.
public enum ImageInput {
    /// A [1, 3, cropHeight, cropWidth] tensor for the image `file`.
    /// - Throws: ``ImageError`` for unreadable or non-image files; ``DataError`` when the image is smaller than the
    ///   crop and the policy is `.skip` (prediction has no other image to use instead).
    public static func tensor(from file: URL, config: DataConfig) throws -> Tensor {
        let path = file.path
        let preparer = ImagePreparer(config: config)
        let image = try ImagePreparer.decode(ImagePreparer.read(path), path: path)
        guard let crop = preparer.crop(image) else {
            throw DataError.invalidConfig(parameter: "smallImages",
                                          reason: "\(path) is \(image.height)×\(image.width), smaller than the \(config.cropHeight)×\(config.cropWidth) crop; use the pad or resize policy to predict on it")
        }
        return try tensor(crop: crop, config: config)
    }

    /// A [1, 3, cropHeight, cropWidth] tensor from a decoded image: RGB (grey replicated, alpha dropped), centre
    /// crop by the small-image policy, normalisation — the loaders' preparation.
    public static func tensor(image: ByteImage, config: DataConfig) throws -> Tensor {
        var rgb = image
        if rgb.channels == 1 { rgb = rgb.replicatedToRGB() }
        if rgb.channels > 3 { rgb = try Image.merging(Array(rgb.splitChannels().prefix(3))) }
        guard let crop = ImagePreparer(config: config).crop(rgb) else {
            throw DataError.invalidConfig(parameter: "smallImages",
                                          reason: "the image is \(image.height)×\(image.width), smaller than the \(config.cropHeight)×\(config.cropWidth) crop; use the pad or resize policy to predict on it")
        }
        return try tensor(crop: crop, config: config)
    }

    /// A [1, 3, h, w] tensor from an already cropped 8-bit RGB image.
    public static func tensor(crop: ByteImage, config: DataConfig) throws -> Tensor {
        let plane = crop.height * crop.width
        var values = [Float](repeating: 0, count: 3 * plane)
        values.withUnsafeMutableBufferPointer { buffer in
            PixelWriter.writePlanar(crop, into: buffer)
            PixelWriter.normalise(buffer, policy: config.normalisation, count: 1, channels: 3, plane: plane)
        }
        return try Tensor(shape: [1, 3, crop.height, crop.width], scalars: values)
    }
}
