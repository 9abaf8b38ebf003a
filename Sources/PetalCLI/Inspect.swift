import ArgumentParser
import Foundation
import Petal

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan a data set: images per class, sizes, unreadable files, images smaller than the crop, duplicates and leakage.")

    @OptionGroup var data: DataOptions

    @Flag(help: "Print the full scan as JSON.")
    var json = false

    func run() throws {
        try runReportingErrors { try scan() }
    }

    private func scan() throws {
        var config = try data.config()
        config.dropLast = false
        let quiet = json
        let prepared = try DataPipeline.prepare(root: data.root, config: config, log: { line in if !quiet { say(line) } })
        if json {
            say(String(decoding: try RunJSON.encode(prepared.report), as: UTF8.self))
        } else {
            say(prepared.report.details)
        }
    }
}

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a model's layers, output shapes and parameter counts (like Keras' model.summary()).")

    @Argument(help: "resnet18, resnet34, resnet50, resnet101 or resnet152.")
    var model = "resnet18"

    @Option(help: "Block variant: preact or v1.")
    var variant: ResNet.Variant = .preActivation

    @Option(help: "Number of classes.")
    var classes = 2

    @Option(help: "Input height and width.")
    var input = 100

    @Option(help: "Channels of the first stage.")
    var width = 64

    func run() throws {
        try runReportingErrors {
            guard let depth = ResNet.Depth(name: model) else {
                throw ValidationFailure("unknown model '\(model)': use resnet18, resnet34, resnet50, resnet101 or resnet152")
            }
            let m = try ResNet(depth: depth, variant: variant, classes: classes, baseWidth: width, initializer: .skip)
            say(try m.summary(inputShape: [1, 3, input, input]))
        }
    }
}
