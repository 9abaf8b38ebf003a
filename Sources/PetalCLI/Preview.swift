import ArgumentParser
import Foundation
import Petal

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write PNG grids of one image: its channels, a threshold and the morphology steps, normalisations and augmentations.")

    @Argument(help: "An image file (JPEG or PNG).")
    var image: String

    @Option(help: "Folder for the PNG grids.")
    var output = "preview"

    @Option(help: "Threshold (0–255) on the red channel for the mask.")
    var threshold = 125

    @Option(help: "Seed for the augmentation samples.")
    var seed: UInt64 = 1

    func run() throws {
        try runReportingErrors {
            let written = try ImagePreviews.write(image: image, into: URL(fileURLWithPath: output), threshold: threshold, seed: seed)
            for w in written { say("wrote \(w.path)") }
        }
    }
}
