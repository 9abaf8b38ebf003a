import ArgumentParser
import Foundation
import Petal

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write PNG grids of one image as the tutorial shows it: channels, a threshold and its morphology, normalisations, flips, affine transforms and augmentations.",
        discussion: "Every option defaults to the tutorial's value. The affine pictures use the tutorial's convention: each matrix is scikit-image's warp input, the inverse map, about the tutorial's centre.")

    @Argument(help: "An image file (JPEG or PNG).")
    var image: String

    @Option(help: "Folder for the PNG grids.")
    var output = "preview"

    @Option(help: "Channel to threshold: red, green or blue.")
    var channel: ChannelName = .red

    @Option(help: "Threshold (0–255) of the mask, or otsu (default: 125, the tutorial's). Otsu's threshold is always shown beside a fixed one.", transform: thresholdValue)
    var threshold: PreviewSettings.Threshold = .fixed(125)

    @Option(help: "Morphology footprint: disk, square or diamond.")
    var footprint: PreviewSettings.FootprintShape = .disk

    @Option(help: "Footprint radius in pixels (a square's side is 2·radius + 1).")
    var radius = 3

    @Option(help: "Rotation in degrees (affine pictures).")
    var rotation = 45.0

    @Option(help: "Zoom-out scale; its inverse is the zoom-in picture.")
    var zoom = 2.0

    @Option(help: "Translation along x and y in pixels.")
    var shift = 50.0

    @Option(help: "Shear in degrees.")
    var shear = 45.0

    @Option(help: "Brightness jitter factor.")
    var brightness: Float = 0.999

    @Flag(help: "Random augmentations also mirror top ↔ bottom.")
    var verticalFlip = false

    @Option(help: "Seed for the augmentation samples.")
    var seed: UInt64 = 1

    enum ChannelName: String, ExpressibleByArgument, CaseIterable { case red, green, blue }

    func run() throws {
        try runReportingErrors {
            var s = PreviewSettings()
            (s.channel, s.threshold, s.footprint, s.radius) = (ChannelName.allCases.firstIndex(of: channel)!, threshold, footprint, radius)
            (s.rotationDegrees, s.zoom, s.shift, s.shearDegrees, s.brightness) = (rotation, zoom, shift, shear, brightness)
            (s.verticalFlip, s.seed) = (verticalFlip, seed)
            let written = try ImagePreviews.write(image: URL(fileURLWithPath: image), into: URL(fileURLWithPath: output), settings: s)
            for w in written { say("wrote \(w.path)") }
        }
    }
}

/// Parses `--threshold`: a value 0…255 or `otsu`.
func thresholdValue(_ text: String) throws -> PreviewSettings.Threshold {
    if text.lowercased() == "otsu" { return .otsu }
    guard let v = Int(text), (0...255).contains(v) else { throw ValidationFailure("--threshold takes 0…255 or otsu, got '\(text)'") }
    return .fixed(UInt8(v))
}

extension PreviewSettings.FootprintShape: ExpressibleByArgument {}
