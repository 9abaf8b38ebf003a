import ArgumentParser
import Foundation
import PetalBenchKit
import Petal

/// `petal models`: every network `--model` takes, with its parameters and multiply-adds at a crop, and with
/// `--measure` how fast it trains and predicts on this machine.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the networks petal train builds: parameters, multiply-adds at a crop, and measured speed.",
        discussion: """
            Parameters are counted at 1000 classes (the published networks'); multiply-adds are those of the \
            convolutions and linear layers of one image at --crop, traced from each network's forward pass (what \
            torchvision's model table calls GFLOPS). With --measure, each network also runs training steps and \
            batch inference on synthetic input (as `petal bench` does), which takes from seconds for a MobileNetV3 \
            to minutes for a ConvNeXt-Large.
            """)

    @Argument(help: "The networks to list (default: all), as --model names them.")
    var names: [String] = []

    @Option(help: "Input height and width the multiply-adds and speeds are for.")
    var crop = 100

    @Flag(help: "Also time training steps and batch inference of each network on this machine.")
    var measure = false

    @Option(help: "Images per batch when measuring.")
    var batchSize = 32

    @Flag(help: "Print the figures as JSON lines.")
    var json = false

    /// One network's figures.
    struct Row: Encodable {
        let model: String, parameters: Int, multiplyAdds: Int, crop: Int
        var trainImagesPerSecond: Double?, inferImagesPerSecond: Double?
    }

    /// `text` padded with spaces to `width` columns, on the left when `right`.
    private func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    func run() throws {
        try runReportingErrors {
            guard (16...1024).contains(crop) else { throw ValidationFailure("--crop must be 16 to 1024, got \(crop)") }
            guard (1...1024).contains(batchSize) else { throw ValidationFailure("--batch-size must be 1 to 1024, got \(batchSize)") }
            let all = modelNames.components(separatedBy: ", ")
            if let unknown = names.first(where: { !all.contains($0) }) {
                throw ValidationFailure("unknown model '\(unknown)': use \(modelNames)")
            }
            if !json {
                say(padded("model", 20) + padded("parameters", 13, right: true) + padded("mult-adds @\(crop)", 16, right: true)
                    + (measure ? padded("train img/s", 14, right: true) + padded("infer img/s", 14, right: true) : ""))
            }
            for name in names.isEmpty ? all : names {
                var settings = ModelSettings(variant: .v1)
                switch try modelChoice(name) {
                case .resnet(let depth): settings.depth = depth
                case .other(let architecture): settings.architecture = architecture
                }
                var row = try withoutGradients {
                    // Zero weights: only the shapes count here.
                    let network: Module = settings.architecture == .resnet
                        ? try ResNet(depth: settings.depth, variant: .v1, classes: 1000, initializer: .skip)
                        : try ModelZoo.make(name, classes: 1000, initializer: .skip)
                    return Row(model: name, parameters: network.parameterCount,
                               multiplyAdds: try network.inferenceGraph(inputShape: [3, crop, crop]).multiplyAdds, crop: crop)
                }
                if measure {
                    let t = try Throughput.measure(try settings.makeModel(classes: 2, seed: 1), classes: 2, inputShape: [batchSize, 3, crop, crop],
                                                   steps: 3, latencyRuns: 3)
                    (row.trainImagesPerSecond, row.inferImagesPerSecond) = (t.trainImagesPerSecond, t.inferImagesPerSecond)
                }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = .sortedKeys
                    say(String(decoding: try encoder.encode(row), as: UTF8.self))
                } else {
                    var line = padded(name, 20) + String(format: "%12.1fM%15.2fG", Double(row.parameters) / 1e6, Double(row.multiplyAdds) / 1e9)
                    if let train = row.trainImagesPerSecond, let infer = row.inferImagesPerSecond { line += String(format: "%14.1f%14.1f", train, infer) }
                    say(line)
                }
            }
        }
    }
}
