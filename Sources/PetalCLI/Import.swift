import ArgumentParser
import Foundation
import Petal

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert a PyTorch .pth state dict (such as torchvision's resnet50-….pth) into a safetensors file, once.",
        discussion: "The pickle is read by a restricted unpickler that runs no code and refuses anything a state dict does not need. The architecture (a ResNet, a MobileNetV3 or an EfficientNet, and its width) is recognised from torchvision's names and shapes and checked by loading the weights into that Petal network; the output's metadata names the source and the architecture. The command prints the `petal train --pretrained` options that take the result.")

    @Argument(help: "The PyTorch state dict (.pth or .pt).")
    var weights: String

    @Option(name: .shortAndLong, help: "The safetensors file to write.")
    var output: String

    @Flag(help: "Replace an existing --output file.")
    var overwrite = false

    func run() throws {
        try runReportingErrors {
            let architecture = try PretrainedWeights.importPyTorch(URL(fileURLWithPath: weights), to: URL(fileURLWithPath: output), overwrite: overwrite)
            say("Wrote \(output): \(architecture)")
            say("Fine-tune from it: petal train DATA --pretrained \(output) \(architecture.trainOptions)"
                + (architecture.classes == 1000 ? " --imagenet-normalisation   (for ImageNet weights)" : ""))
        }
    }
}
