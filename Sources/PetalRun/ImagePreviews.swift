// The image-inspection grids of the tutorial's notebook, as PNG files: channels, a threshold and its
// morphology, normalisations, the tutorial's affine cases and random augmentations.
import Foundation
import PetalImage
import PetalRandom

/// The grids `petal preview` and the run report show for one photo.
public enum ImagePreviews {
    /// Writes the grids for the image at `path` into `folder` (created only once the image has been read); returns
    /// the files written.
    /// - Parameters:
    ///   - threshold: the red-channel threshold (0…255) of the morphology grid.
    ///   - seed: seeds the random augmentations shown.
    public static func write(image path: String, into folder: URL, threshold: Int, seed: UInt64) throws -> [URL] {
        guard (0...255).contains(threshold) else { throw RunError.invalidSetting("threshold", reason: "must be in 0…255, got \(threshold)") }
        let rgb = try Image<UInt8>(contentsOfFile: path, options: DecodeOptions(channels: .rgb))
        let float = rgb.toFloat()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw RunError.folder(path: folder.path, reason: "cannot be created (\(RunFolder.plain(error)))")
        }
        var written: [URL] = []
        func save(_ grid: ImageGrid, _ name: String) throws {
            let url = folder.appendingPathComponent(name)
            try grid.writePNG(toFile: url.path)
            written.append(url)
        }

        var channels = ImageGrid(columns: 4)
        channels.add(rgb)
        for (c, map) in [ColourMap.red, .green, .blue].enumerated() { channels.add(rgb.channel(c), colourMap: map) }
        try save(channels, "channels.png")

        let mask = rgb.thresholded(above: UInt8(threshold), channel: 0)
        var morphology = ImageGrid(columns: 5)
        morphology.add(mask)
        for op in MorphologyOperation.allCases { morphology.add(mask.morphology(op, footprint: .disk(3))) }
        try save(morphology, "morphology.png")

        var normalisation = ImageGrid(columns: 3)
        normalisation.add(float)
        normalisation.add(float.normalised(.minMax))
        normalisation.add(float.normalised(.percentile5to95))
        try save(normalisation, "normalisation.png")

        // The tutorial's pictures exactly: its matrices about its centre, read as inverse maps as `tf.warp` does.
        let (h, w) = (rgb.height, rgb.width)
        var affine = ImageGrid(columns: 3)
        affine.add(float)
        for c in AffineTransform2D.tutorialCases(height: h, width: w) { affine.add(float.warped(inverseMap: c.inverseMap)) }
        try save(affine, "affine.png")

        let policy = AugmentationPolicy(rotationRange: 30, widthShiftRange: 0.1, heightShiftRange: 0.1, zoomRange: 0.8...1.2,
                                        shearRange: 10, horizontalFlip: true, fillMode: .reflect)
        var generator = SeededGenerator(seed: seed)
        var augmentations = ImageGrid(columns: 4)
        for _ in 0..<8 {
            // `.keras` includes the draw's mirror (flipping again would undo it).
            let p = policy.sample(height: h, width: w, using: &generator)
            augmentations.add(float.warped(inverseMap: .keras(p, height: h, width: w), border: policy.border))
        }
        try save(augmentations, "augmentations.png")
        return written
    }
}
