// `petal`: train, evaluate and use CNN image classifiers from the command line.
import ArgumentParser
import Foundation
import Petal
import PetalMPI

@main
struct PetalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "petal",
        abstract: "Train, evaluate and use CNN image classifiers on folders of images (one sub-folder per class).",
        discussion: "Without a subcommand, `petal` trains a ResNet-18 with the default recipe on the bundled flowers demo (Data/flowers-mini); `petal train --recipe tutorial` is the tutorial's run.",
        version: PetalVersion.current,
        subcommands: [Train.self, Report.self, Compare.self, Evaluate.self, Predict.self, Import.self, Export.self, Quantize.self, Serve.self, SweepLR.self, FindLR.self, Overfit.self, Preview.self, Inspect.self, Summary.self, Models.self, Bench.self],
        defaultSubcommand: Train.self)

    static func main() {
        Device.keepFreedMemoryMapped()  // a training process: keep freed pages mapped (see its documentation)
        main(nil)
    }
}

/// An error with a ready message (for problems found by the CLI itself).
struct ValidationFailure: Error, LocalizedError {
    let message: String
    init(_ message: String) { self.message = message }
    var errorDescription: String? { message }
}

/// Runs a command body, turning any error into one line on standard error and a non-zero exit. Under mpirun the
/// line names the rank (other than 0) and the whole job ends, since the other ranks would wait for this one forever.
func runReportingErrors(_ body: () throws -> Void) throws {
    func fail(_ message: String) -> ExitCode {
        guard let world = MPICommunicator.started else {
            FileHandle.standardError.write(Data("petal: error: \(message)\n".utf8))
            return .failure
        }
        let rank = world.rank == 0 ? "" : "rank \(world.rank) (\(world.hostName)): "
        FileHandle.standardError.write(Data("petal: error: \(rank)\(message)\n".utf8))
        world.abort(code: 1)
    }
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch RunError.invalidSetting(let name, let reason) {
        throw fail("\(optionName(name)) \(reason)")
    } catch {
        throw fail(error.localizedDescription)
    }
}

/// The command-line option of a setting named by the library (`learningRate` → `--lr`).
func optionName(_ setting: String) -> String {
    let special = ["learningRate": "--lr", "cropHeight": "--crop", "cropWidth": "--crop", "cropHeight/cropWidth": "--crop",
                   "augmentation.rotationRange": "--rotation", "augmentation.widthShiftRange": "--width-shift/--shift",
                   "augmentation.heightShiftRange": "--height-shift/--shift", "augmentation.shearRange": "--shear", "augmentation.zoomRange": "--zoom",
                   "augmentation.randomResizedCrop": "--random-resized-crop",
                   "augmentation.cval": "--cval", "augmentation.brightnessRange": "--brightness",
                   "start/end": "--start/--end"]
    if let name = special[setting] { return name }
    return "--" + setting.reduce(into: "") { out, ch in
        if ch.isUppercase { out += "-" + ch.lowercased() } else { out.append(ch) }
    }
}

/// Prints to standard output immediately (progress lines must not wait in a buffer).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Prints a warning to standard error.
func warn(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Opens the folder a command adds files to: an existing one (a run folder, say) or a new one.
func outputFolder(_ path: String?, name: String) throws -> RunFolder {
    guard let path else { return try RunFolder.dated(under: URL(fileURLWithPath: "runs"), name: name) }
    let url = URL(fileURLWithPath: path)
    return FileManager.default.fileExists(atPath: url.path) ? try RunFolder.open(url) : try RunFolder.create(at: url)
}
