// libFuzzer entry point for every loader of untrusted bytes in Petal. `make fuzz` builds this target with the `Fuzz`
// trait and `-sanitize=fuzzer,address` (Scripts/fuzz.sh) and runs each fuzz target for a fixed time on its
// corpus in Fuzz/corpus/<target>; the target is chosen by PETAL_FUZZ_TARGET. A crash found here becomes a regression
// test next to the loader's other tests.
import Foundation
import PetalData
import PetalImage
import PetalNN
import PetalReport
import PetalRun
import PetalTrain

enum FuzzTarget: String, CaseIterable {
    /// Safetensors files (checkpoints, the training-state unit), and the architecture `petal import` recognises in them.
    case safetensors
    /// Checkpoint metadata JSON (the "petal" header entry).
    case metadata
    /// JPEG and PNG decoding (the scan, predict, preview).
    case image
    /// Split files (split.json).
    case split
    /// Run configurations (config.json) and progress records.
    case config
    /// PyTorch `.pth` checkpoints: the zip archive, its storages (compression bombs) and the restricted unpickler.
    case pth
    /// A state dict's pickle alone, with storages of the size it declares: nesting, views and strides without the
    /// archive's checksums in the way.
    case pickle
    /// What `petal compare` reads from a run folder (config.json, history.csv, evaluation.json and split.json, in this
    /// order, separated by NUL bytes) and the charts it draws from them.
    case compare
}

let target: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["PETAL_FUZZ_TARGET"], let t = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set PETAL_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    return t
}()

/// This process's scratch folder (a run folder for `compare`, the file for `pth`).
let scratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: scratch) }
    return url
}()

/// Runs one input through the chosen target: anything may be refused, nothing may crash.
func fuzz(_ bytes: Data) {
    switch target {
    case .safetensors:
        if let file = try? SafeTensors(data: bytes, source: "fuzz") { _ = try? file.encoded(); _ = RecognisedArchitecture(file) }
    case .metadata:
        if let meta = try? JSONDecoder().decode(CheckpointMetadata.self, from: bytes) { try? meta.validate() }
    case .image:
        _ = try? ImageCodec.decode(bytes, source: "fuzz", options: DecodeOptions(channels: .rgb, maxPixels: 4_000_000))
    case .split:
        if let split = try? JSONDecoder().decode(DataSplit.self, from: bytes) { _ = split.limited(train: 1, validation: 1) }
    case .config:
        if let c = try? RunJSON.decode(RunConfiguration.self, from: bytes) { try? c.validate() }
        _ = try? RunJSON.decode(TrainingProgress.self, from: bytes)
    case .pth:
        let url = scratch.appendingPathComponent("state.pth")
        if (try? bytes.write(to: url)) != nil { _ = try? PyTorchCheckpoint.read(url) }
    case .pickle:
        _ = try? PyTorchCheckpoint.tensors(pickle: [UInt8](bytes), memory: 1 << 26, fail: { .checkpoint(path: "fuzz", reason: $0) }) { _, limit in
            [UInt8](repeating: 0x3F, count: min(limit, 1 << 20))
        }
    case .compare:
        let files = [RunFiles.configuration, RunFiles.history, RunFiles.evaluation, RunFiles.split]
        for (name, part) in zip(files, bytes.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)) {
            try? Data(part).write(to: scratch.appendingPathComponent(name))
        }
        guard let comparison = try? RunComparison(runs: [scratch, scratch]) else { break }
        _ = comparison.table
        for chart in (try? comparison.charts()) ?? [] { _ = chart.svg }
        for name in files { try? FileManager.default.removeItem(at: scratch.appendingPathComponent(name)) }
    }
}

#if PETAL_FUZZ
/// libFuzzer's entry point; libFuzzer (linked by `-sanitize=fuzzer`) provides `main`.
@_cdecl("LLVMFuzzerTestOneInput")
public func petalFuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(data.map { Data(bytes: $0, count: size) } ?? Data())
    return 0
}
#else
/// Without libFuzzer, the inputs named on the command line run once each, so that a crash input replays in a debugger.
@main struct PetalFuzz {
    static func main() {
        let files = CommandLine.arguments.dropFirst()
        guard !files.isEmpty else {
            FileHandle.standardError.write(Data("usage: PETAL_FUZZ_TARGET=<target> PetalFuzz FILE… (make fuzz builds it for libFuzzer)\n".utf8))
            exit(2)
        }
        _ = target
        for path in files { fuzz((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data()) }
    }
}
#endif
