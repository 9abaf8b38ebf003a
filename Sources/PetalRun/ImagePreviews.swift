// The image-inspection grids of the tutorial's notebook, as PNG files: channels, a threshold (fixed and Otsu's) and
// its morphology, normalisations, flips, the tutorial's affine pictures with its brightness jitter, and random
// augmentations. Every setting has the tutorial's value as its default.
import Foundation
import PetalImage
import PetalRandom

/// What the preview grids show; the defaults are the tutorial's.
public struct PreviewSettings: Sendable, Equatable {
    /// How the mask is drawn from one channel.
    public enum Threshold: Sendable, Equatable {
        /// value > t (the tutorial's `image[:, :, 0] > 125`).
        case fixed(UInt8)
        /// Otsu's threshold of the channel.
        case otsu
    }

    /// The shape of the morphology footprint.
    public enum FootprintShape: String, Sendable, CaseIterable {
        case disk, square, diamond
    }

    /// The channel thresholded: 0 red (the tutorial's), 1 green, 2 blue.
    public var channel = 0
    /// The mask's threshold; Otsu's is always shown beside a fixed one.
    public var threshold = Threshold.fixed(125)
    /// The morphology footprint (`disk(3)` in the tutorial).
    public var footprint = FootprintShape.disk
    /// The footprint's radius in pixels (a square's side is 2·radius + 1).
    public var radius = 3
    /// The affine pictures: rotation and shear in degrees, the zoom-out scale (its inverse is the zoom-in), and the
    /// translation in pixels along x and y.
    public var rotationDegrees = 45.0, zoom = 2.0, shift = 50.0, shearDegrees = 45.0
    /// The brightness jitter's factor (the tutorial's `image * 0.999`).
    public var brightness: Float = 0.999
    /// Random augmentations mirror top ↔ bottom too.
    public var verticalFlip = false
    /// Seeds the random augmentations shown.
    public var seed: UInt64 = 1
    /// Writes `augmentations.png`, random draws of a fixed policy (a run's report draws its own instead).
    public var showsAugmentations = true

    /// The tutorial's settings.
    public init() {}

    /// Checks the ranges, naming the bad setting.
    public func validate() throws {
        func bad(_ name: String, _ reason: String) -> RunError { .invalidSetting(name, reason: reason) }
        guard (0...2).contains(channel) else { throw bad("channel", "must be 0 (red), 1 (green) or 2 (blue), got \(channel)") }
        guard (1...50).contains(radius) else { throw bad("radius", "must be in 1…50, got \(radius)") }
        for (name, v) in [("rotation", rotationDegrees), ("shift", shift), ("shear", shearDegrees)] where !v.isFinite {
            throw bad(name, "must be a finite number, got \(v)")
        }
        guard abs(shearDegrees) < 90 else { throw bad("shear", "must be within ±90°, got \(shearDegrees)") }
        guard zoom.isFinite, zoom > 0 else { throw bad("zoom", "must be a positive number, got \(zoom)") }
        guard brightness.isFinite, brightness >= 0 else { throw bad("brightness", "must be a number ≥ 0, got \(brightness)") }
    }

    var footprintValue: Footprint {
        switch footprint {
        case .disk: .disk(radius)
        case .square: .square(2 * radius + 1)
        case .diamond: .diamond(radius)
        }
    }
}

/// The grids `petal preview` and the run report show for one photo.
public enum ImagePreviews {
    /// Writes the grids for the image `file` into `folder` (created only once the image has been read); returns
    /// the files written.
    public static func write(image file: URL, into folder: URL, settings s: PreviewSettings = PreviewSettings()) throws -> [URL] {
        try s.validate()
        let rgb = try Image<UInt8>(contentsOf: file, options: DecodeOptions(channels: .rgb))
        let float = rgb.toFloat()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw RunError.folder(path: folder.path, reason: "cannot be created (\(RunFolder.plain(error)))")
        }
        var written: [URL] = []
        func save(_ grid: ImageGrid, _ name: String) throws {
            let url = folder.appendingPathComponent(name)
            try grid.writePNG(to: url)
            written.append(url)
        }

        var channels = ImageGrid(columns: 4)
        channels.add(rgb)
        for (c, map) in [ColourMap.red, .green, .blue].enumerated() { channels.add(rgb.channel(c), colourMap: map) }
        try save(channels, "channels.png")

        // The mask, Otsu's mask beside it (when the mask is not already Otsu's), then the morphology of the mask.
        let otsu = rgb.thresholded(above: rgb.otsuThreshold(channel: s.channel), channel: s.channel)
        let mask: Image<Bool>
        if case .fixed(let t) = s.threshold { mask = rgb.thresholded(above: t, channel: s.channel) } else { mask = otsu }
        var morphology = ImageGrid(columns: s.threshold == .otsu ? 5 : 6)
        morphology.add(mask)
        if s.threshold != .otsu { morphology.add(otsu) }
        for op in MorphologyOperation.allCases { morphology.add(mask.morphology(op, footprint: s.footprintValue)) }
        try save(morphology, "morphology.png")

        var normalisation = ImageGrid(columns: 3)
        normalisation.add(float)
        normalisation.add(float.normalised(.minMax))
        normalisation.add(float.normalised(.percentile5to95))
        try save(normalisation, "normalisation.png")

        var flips = ImageGrid(columns: 3)
        for image in [float, float.flippedHorizontally(), float.flippedVertically()] { flips.add(image) }
        try save(flips, "flips.png")

        // The tutorial's pictures exactly: its matrices about its centre, read as inverse maps as `tf.warp` does, then
        // its brightness jitter.
        var affine = ImageGrid(columns: 4)
        affine.add(float)
        for c in AffineTransform2D.tutorialCases(height: rgb.height, width: rgb.width, rotationDegrees: s.rotationDegrees, zoom: s.zoom,
                                                 shift: s.shift, shearDegrees: s.shearDegrees) {
            affine.add(float.warped(inverseMap: c.inverseMap))
        }
        affine.add(float.scaledBrightness(by: s.brightness))
        try save(affine, "affine.png")

        if s.showsAugmentations {
            var augmentations = ImageGrid(columns: 4)
            for (image, _) in augmentationSamples(of: float, settings: s) { augmentations.add(image) }
            try save(augmentations, "augmentations.png")
        }
        return written
    }

    /// The random augmentations the preview shows, with the draw of each.
    static func augmentationSamples(of float: Image<Float>, settings s: PreviewSettings, count: Int = 8) -> [(Image<Float>, KerasTransformParameters)] {
        let policy = AugmentationPolicy(rotationRange: 30, widthShiftRange: 0.1, heightShiftRange: 0.1, zoomRange: 0.8...1.2,
                                        shearRange: 10, horizontalFlip: true, verticalFlip: s.verticalFlip, fillMode: .reflect)
        var generator = SeededGenerator(seed: s.seed)
        return (0..<count).map { _ in
            // `.keras` includes the draw's mirror (flipping again would undo it).
            let p = policy.sample(height: float.height, width: float.width, using: &generator)
            return (float.warped(inverseMap: .keras(p, height: float.height, width: float.width), border: policy.border), p)
        }
    }
}
