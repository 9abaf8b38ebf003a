// libFuzzer entry point for every loader of untrusted bytes in Petal; `make fuzz` builds it (Scripts/fuzz.sh) and runs
// each target for a fixed time on its corpus in Fuzz/corpus/<target>. The target is chosen by PETAL_FUZZ_TARGET.
// A crash found here becomes a regression test next to the loader's other tests.
import Foundation
import PetalData
import PetalImage
import PetalNN
import PetalRun

enum FuzzTarget: String, CaseIterable {
    /// Safetensors files (checkpoints, the training-state unit).
    case safetensors
    /// Checkpoint metadata JSON (the "petal" header entry).
    case metadata
    /// JPEG and PNG decoding (the scan, predict, preview).
    case image
    /// Split files (split.json).
    case split
    /// Run configurations (config.json) and progress records.
    case config
    /// PyTorch `.pth` checkpoints: the zip archive and the restricted unpickler.
    case pth
}

let target: FuzzTarget = {
    guard let name = ProcessInfo.processInfo.environment["PETAL_FUZZ_TARGET"], let t = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set PETAL_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))\n".utf8))
        exit(2)
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func petalFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    switch target {
    case .safetensors:
        if let file = try? SafeTensors(data: bytes, source: "fuzz") { _ = try? file.encoded() }
    case .metadata:
        if let meta = try? JSONDecoder().decode(CheckpointMetadata.self, from: bytes) { try? meta.validate() }
    case .image:
        _ = try? ImageCodec.decode(bytes, source: "fuzz", options: DecodeOptions(channels: .rgb, maxPixels: 4_000_000))
    case .split:
        if let split = try? JSONDecoder().decode(DataSplit.self, from: bytes) { _ = split.limited(train: 1, validation: 1) }
    case .config:
        if let c = try? RunJSON.decode(RunConfiguration.self, from: bytes) { try? c.validate() }
        _ = try? RunJSON.decode(RunProgress.self, from: bytes)
    case .pth:
        let url = URL(fileURLWithPath: NSTemporaryDirectory() + "petal-fuzz-\(getpid()).pth")
        if (try? bytes.write(to: url)) != nil { _ = try? PyTorchCheckpoint.read(url) }
    }
    return 0
}
