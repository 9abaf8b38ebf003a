// `petal`: train, evaluate and use CNN image classifiers from the command line.
import ArgumentParser
import Foundation
import Petal

@main
struct PetalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petal",
        abstract: "Train, evaluate and use CNN image classifiers on folders of images (one sub-folder per class).",
        discussion: "Without a subcommand, `petal` trains the tutorial's ResNet-18 on the bundled flowers demo (Data/flowers-mini).",
        version: Petal.version,
        subcommands: [Train.self, Evaluate.self, Predict.self, SweepLR.self, FindLR.self, Overfit.self, Preview.self, Inspect.self, Summary.self, Bench.self],
        defaultSubcommand: Train.self)
}

/// Runs a command body, turning any error into one line on standard error and a non-zero exit.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("petal: error: \(error.localizedDescription)\n".utf8))
        throw ExitCode.failure
    }
}

/// Prints to standard output immediately (progress lines must not wait in a buffer).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
