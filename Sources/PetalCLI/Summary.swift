import ArgumentParser
import Foundation
import Petal

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a model's layers, output shapes and parameter counts (like Keras' model.summary()).")

    @Argument(help: "resnet18, resnet34, resnet50, resnet101 or resnet152.")
    var model = "resnet18"

    @Option(help: "Block variant: preact, keras (keras-resnet: pre-activation blocks with Keras' padding, batch norm and L2) or v1.")
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
            guard (1...100_000).contains(classes) else { throw ValidationFailure("--classes must be in 1…100000, got \(classes)") }
            guard (32...4096).contains(input) else { throw ValidationFailure("--input must be in 32…4096 pixels, got \(input)") }
            guard (1...ModelSettings.maximumWidth).contains(width) else { throw ValidationFailure("--width must be in 1…\(ModelSettings.maximumWidth), got \(width)") }
            let m = try ResNet(depth: depth, variant: variant, classes: classes, baseWidth: width, initializer: .skip)
            say(try m.summary(inputShape: [1, 3, input, input]))
        }
    }
}
