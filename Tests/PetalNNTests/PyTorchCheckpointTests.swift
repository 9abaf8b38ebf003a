// PyTorch `.pth` state dicts read natively: the values equal those PyTorch wrote (compared with the same tensors saved
// as safetensors by the fixture script), and a pickle that names anything else is refused without running it.
import Foundation
import Testing
@testable import PetalNN

@Suite struct PyTorchCheckpointTests {
    static func fixture(_ name: String) -> URL {
        Bundle.module.url(forResource: (name as NSString).deletingPathExtension, withExtension: (name as NSString).pathExtension,
                          subdirectory: "Fixtures")!
    }

    @Test func aStateDictReadsAsPyTorchWroteIt() throws {
        let pth = try PyTorchCheckpoint.read(Self.fixture("pytorch_state.pth"))
        let reference = try SafeTensors(data: Data(contentsOf: Self.fixture("pytorch_state.safetensors")), source: "reference")
        #expect(pth.tensors.map(\.name) == ["conv.weight", "bn.running_var", "bn.num_batches_tracked", "half", "bf", "base", "transposed", "row"])
        for (name, tensor) in pth.tensors {
            let expected = try #require(reference[name], "\(name) missing from the reference")
            #expect(tensor.shape == expected.shape, "\(name): \(tensor.shape) vs \(expected.shape)")
            #expect(tensor.scalars == expected.scalars, "\(name) differs")
        }
        #expect(pth["transposed"]!.shape == [3, 4] && pth["row"]!.shape == [3], "views of one storage")
        #expect(pth["bn.num_batches_tracked"]!.shape == [] && pth["bn.num_batches_tracked"]!.scalars == [12])
    }

    @Test func aPickleThatCallsAnythingElseIsRefusedNamingIt() throws {
        let url = Self.fixture("pytorch_malicious.pth")
        do {
            _ = try PyTorchCheckpoint.read(url)
            Issue.record("a pickle calling os.system was accepted")
        } catch ModelError.checkpoint(let path, let reason) {
            #expect(path == url.path && reason.contains("'posix.system'") || reason.contains("'os.system'"), "\(reason)")
            #expect(reason.contains("refused"))
        }
    }

    @Test func damagedArchivesAndForeignFilesAreErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-pth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Data(contentsOf: Self.fixture("pytorch_state.pth"))
        let cases: [(String, Data, String)] = [
            ("legacy.pth", Data([0x80, 0x02, 0x8A, 0x0A]) + Data(count: 20), "legacy format"),
            ("truncated.pth", good.prefix(good.count / 2), "zip"),
            ("text.pth", Data("hello".utf8), "not a PyTorch zip checkpoint"),
        ]
        for (name, bytes, reason) in cases {
            let url = dir.appendingPathComponent(name)
            try bytes.write(to: url)
            do { _ = try PyTorchCheckpoint.read(url); Issue.record("\(name) was accepted") } catch ModelError.checkpoint(_, let r) {
                #expect(r.contains(reason), "\(name): \(r)")
            }
        }
        // Found by `make fuzz`: a central directory offset past the end of the file trapped inside ZIPFoundation.
        do { _ = try PyTorchCheckpoint.read(Self.fixture("pytorch_fuzz_crash_1.pth")); Issue.record("the fuzz crash input was accepted") }
        catch ModelError.checkpoint(_, let reason) { #expect(reason.contains("damaged zip archive"), "\(reason)") }
        // Random damage to the pickle and the storages: always an error or a result, never a crash.
        var g = SeededGenerator(seed: 3)
        for trial in 0..<40 {
            var bytes = [UInt8](good)
            for _ in 0..<(1 + trial % 6) { bytes[Int(g.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: g.next()) }
            let url = dir.appendingPathComponent("damaged-\(trial).pth")
            try Data(bytes).write(to: url)
            _ = try? PyTorchCheckpoint.read(url)
        }
    }

    /// torchvision's ResNet-18 layout (scaled to width 4, 1000-class head) starts a 2-class Petal ResNet: every tensor
    /// is copied except the classifier, which stays fresh; with 1000 classes the classifier is copied too.
    @Test func publishedWeightsStartAModelWithANewClassifier() throws {
        let weights = try PretrainedWeights.read(Self.fixture("pytorch_resnet18_w4.pth"))
        let reference = try SafeTensors(data: Data(contentsOf: Self.fixture("pytorch_resnet18_w4.safetensors")), source: "reference")
        let model = try ResNet(depth: .r18, variant: .v1, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 1))
        let freshFC = model.fc.weight.scalars
        let fresh = try PretrainedWeights.load(weights, into: model, source: "pth")
        #expect(fresh == ["fc.weight", "fc.bias"])
        #expect(model.fc.weight.scalars == freshFC, "the new classifier keeps its initialisation")
        for (name, tensor) in model.stateDict where !name.hasPrefix("fc.") {
            #expect(tensor.scalars == reference[name]?.scalars, "\(name) was not copied")
        }
        let imagenet = try ResNet(depth: .r18, variant: .v1, classes: 1000, baseWidth: 4, initializer: .skip)
        #expect(try PretrainedWeights.load(weights, into: imagenet, source: "pth").isEmpty)
        #expect(imagenet.fc.weight.scalars == reference["fc.weight"]!.scalars)
        // The pre-activation variant has other tensors: every mismatch is listed.
        let preact = try ResNet(depth: .r18, variant: .preActivation, classes: 2, baseWidth: 4, initializer: .skip)
        do {
            try PretrainedWeights.load(weights, into: preact, source: "resnet18.pth")
            Issue.record("torchvision's tensors were loaded into the pre-activation variant")
        } catch ModelError.checkpoint(let path, let reason) {
            #expect(path == "resnet18.pth" && reason.contains("does not fit the model") && reason.contains("missing"), "\(reason)")
        }
    }
}

