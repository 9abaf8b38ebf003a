// PyTorch `.pth` state dicts read natively: the values equal those PyTorch wrote (compared with the same tensors saved
// as safetensors by the fixture script), and a pickle that names anything else is refused without running it.
import Foundation
import Testing
import ZIPFoundation
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

    /// A REDUCE whose callable is not an allowed function, and a storage shorter than its tensors: refused, with the
    /// reason, before anything is built.
    @Test func hostileAndInconsistentPicklesAreRefused() throws {
        for (name, expected) in [("pytorch_reduce_string.pth", "REDUCE of something that is not an allowed global"),
                                 ("pytorch_reduce_storage.pth", "'torch.FloatStorage' cannot be called"),
                                 ("pytorch_short_storage.pth", "reads past its storage")] {
            do {
                _ = try PyTorchCheckpoint.read(Self.fixture(name))
                Issue.record("\(name) was accepted")
            } catch ModelError.checkpoint(let path, let reason) {
                #expect(path.hasSuffix(name) && reason.contains(expected), "\(name): \(reason)")
            }
        }
    }

    /// A pickle nesting a million tuples or lists (about 1 MB) is refused as it is built, instead of overflowing the
    /// stack when the nested value is released (issue 31, item 1); a state dict's few levels still load.
    @Test func deeplyNestedPicklesAreRefusedNotAStackOverflow() throws {
        let deepTuples: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        let deepLists: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x5D, count: 500_000) + [UInt8](repeating: 0x61, count: 499_999) + [0x2E]
        let deepMarks: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x28, count: 300_000) + [UInt8](repeating: 0x74, count: 300_000) + [0x2E]
        for bytes in [deepTuples, deepLists, deepMarks] {
            var machine = Unpickler(bytes)
            do {
                _ = try machine.load()
                Issue.record("a pickle nested \(bytes.count / 2) deep was accepted")
            } catch let error as UnpicklingError {
                #expect(error.description.contains("nested more than \(Unpickler.maximumNesting) deep"), "\(error)")
            }
        }
        var shallow = Unpickler([0x80, 0x02, 0x29, 0x85, 0x85, 0x85, 0x2E])
        if case .tuple(let outer) = try shallow.load() { #expect(outer.count == 1) } else { Issue.record("three nested tuples did not load") }
    }

    /// A pickle of a few hundred bytes whose tuples reuse one another through the memo (each level a pair of the level
    /// below: 2²⁶ values to walk at 26 levels, 2⁶⁰ at 60) is refused by the walk's budget, instead of hanging the check
    /// of every new container (found by the issue 31 audit). A state dict walks a few thousand values.
    @Test func picklesWhoseContainersReuseEachOtherAreRefusedNotWalked() throws {
        for levels in [26, 60] {
            var bytes: [UInt8] = [0x80, 0x02, 0x29, 0x71, 0x00]                             // PROTO 2, EMPTY_TUPLE, BINPUT 0
            for _ in 0..<levels { bytes += [0x68, 0x00, 0x68, 0x00, 0x86, 0x71, 0x00] }     // BINGET 0 twice, TUPLE2, BINPUT 0
            bytes.append(0x2E)                                                               // STOP
            var machine = Unpickler(bytes)
            do {
                _ = try machine.load()
                Issue.record("a pickle of \(levels) levels of shared pairs was accepted")
            } catch let error as UnpicklingError {
                #expect(error.description.contains("reuse one another into more than 20,000,000 values"), "\(error)")
            }
        }
    }

    /// A `torch.save` archive holding one Float tensor `w` of `size` and `stride` over a storage the pickle says holds
    /// `elements`, whose bytes are `storage` (deflated).
    /// `claimedSize` overwrites the storage's uncompressed size in its local and central headers (a bomb that lies).
    static func craftedArchive(size: [Int], stride: [Int], elements: Int, storage: Data, claimedSize: UInt32? = nil) throws -> URL {
        var p: [UInt8] = [0x80, 0x02, 0x7D, 0x28]                                 // PROTO 2, EMPTY_DICT, MARK
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func text(_ s: String) { p += [0x58] + le32(s.utf8.count) + Array(s.utf8) }  // BINUNICODE
        func int(_ v: Int) { p += [0x4A] + le32(v) }                               // BININT
        text("w")
        p += Array("ctorch._utils\n_rebuild_tensor_v2\n".utf8) + [0x28]             // GLOBAL, MARK
        p += [0x28]; text("storage"); p += Array("ctorch\nFloatStorage\n".utf8); text("0"); text("cpu"); int(elements); p += [0x74, 0x51]
        int(0)
        p += [0x28]; size.forEach(int); p += [0x74]
        p += [0x28]; stride.forEach(int); p += [0x74]
        p += [0x89, 0x74, 0x52, 0x75, 0x2E]                                       // False, TUPLE, REDUCE, SETITEMS, STOP
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-crafted-\(UUID().uuidString).pth")
        let archive = try Archive(url: url, accessMode: .create)
        for (path, bytes) in [("archive/data.pkl", Data(p)), ("archive/data/0", storage)] {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        if let claimedSize {
            // Local header: uncompressed size at +22, name at +30; central header: size at +24, name at +46.
            var bytes = [UInt8](try Data(contentsOf: url))
            let name = Array("archive/data/0".utf8)
            for (signature, sizeAt, nameAt) in [([UInt8]([0x50, 0x4B, 3, 4]), 22, 30), ([0x50, 0x4B, 1, 2], 24, 46)] {
                for at in 0..<(bytes.count - nameAt - name.count) where Array(bytes[at..<at + 4]) == signature && Array(bytes[at + nameAt..<at + nameAt + name.count]) == name {
                    withUnsafeBytes(of: claimedSize.littleEndian) { bytes.replaceSubrange(at + sizeAt..<at + sizeAt + 4, with: $0) }
                }
            }
            try Data(bytes).write(to: url)
        }
        return url
    }

    /// An expanded tensor (zero strides: a huge logical size over one element) and a storage that inflates far past
    /// what its pickle declares are refused before anything that size is allocated (issue 31, items 2 and 3); the same
    /// archive with an honest tensor loads.
    @Test func expandedTensorsAndCompressionBombsAreRefusedBeforeAllocating() throws {
        let honest = try Self.craftedArchive(size: [2, 2], stride: [2, 1], elements: 4, storage: Data([Float(1), 2, 3, 4].withUnsafeBytes { Data($0) }))
        defer { try? FileManager.default.removeItem(at: honest) }
        #expect(try PyTorchCheckpoint.read(honest).tensors.map(\.tensor.scalars) == [[1, 2, 3, 4]])
        // Views that are not row-major are gathered: a transpose, and a size-1 axis whatever its stride.
        let six = Data([Float(1), 2, 3, 4, 5, 6].withUnsafeBytes { Data($0) })
        for (size, stride, expected) in [([3, 2], [1, 3], [Float(1), 4, 2, 5, 3, 6]), ([1, 2], [2_000_000_000, 1], [1, 2]), ([2, 1, 3], [3, 7, 1], [1, 2, 3, 4, 5, 6]),
                                         ([2, 2], [0, 2], [1, 3, 1, 3])] {
            let view = try Self.craftedArchive(size: size, stride: stride, elements: 6, storage: six)
            defer { try? FileManager.default.removeItem(at: view) }
            let tensor = try #require(try PyTorchCheckpoint.read(view).tensors.first?.tensor)
            #expect(tensor.shape == size && tensor.scalars == expected, "size \(size), stride \(stride): \(tensor.scalars)")
        }

        // Given where a Petal checkpoint is expected, it is recognised and the way to use it named (issue 31, item 19).
        do { _ = try SafeTensors(data: Data(contentsOf: honest), source: honest.path); Issue.record("a .pth read as safetensors") } catch ModelError.checkpoint(_, let reason) {
            #expect(reason.contains("is a PyTorch checkpoint") && reason.contains("petal import") && reason.contains("--pretrained"), "\(reason)")
        }
        // An ONNX model (as `petal export` writes it) is recognised too, and a file that is not a checkpoint is not called
        // one (issue 31, item 24).
        let onnx = Data([0x08, 0x08, 0x12, 0x05]) + Data("Petal".utf8) + Data([0x1A, 0x05]) + Data("0.2.0".utf8)
        #expect(ModelError.checkpoint(path: "model.onnx", reason: "is empty").description == "model.onnx: is empty")
        for (bytes, said) in [(Data(), "is empty"), (Data("weights\n".utf8), "is a text file"), (Data([0x80, 0x02, 0x7D, 0x2E]), "a pickle"),
                              (onnx, "is an ONNX model (as `petal export` writes), not a Petal checkpoint")] {
            do { _ = try SafeTensors(data: bytes, source: "x"); Issue.record("\(said): read as safetensors") } catch ModelError.checkpoint(_, let reason) {
                #expect(reason.contains(said), "\(reason)")
            }
        }

        let expanded = try Self.craftedArchive(size: [65536, 65536, 16], stride: [0, 0, 0], elements: 1, storage: Data(count: 4))
        defer { try? FileManager.default.removeItem(at: expanded) }
        do {
            _ = try PyTorchCheckpoint.read(expanded)
            Issue.record("a 256 GiB expanded tensor was accepted")
        } catch ModelError.checkpoint(_, let reason) {
            #expect(reason.contains("tensor 'w' of size [65536, 65536, 16] needs 275 GB as Float"), "\(reason)")
        }

        let bomb = try Self.craftedArchive(size: [4], stride: [1], elements: 4, storage: Data(count: 64 << 20))
        defer { try? FileManager.default.removeItem(at: bomb) }
        let compressed = try #require(try FileManager.default.attributesOfItem(atPath: bomb.path)[.size] as? Int)
        #expect(compressed < (1 << 20), "64 MiB of zeros deflate to little")
        do {
            _ = try PyTorchCheckpoint.read(bomb)
            Issue.record("a storage inflating to 64 MiB for 4 declared elements was accepted")
        } catch ModelError.checkpoint(_, let reason) {
            #expect(reason.contains("archive/data/0 claims an impossible size (67108864 bytes)"), "\(reason)")
        }
        // The same bomb with headers that claim the 16 bytes its pickle declares: stopped while inflating.
        let liar = try Self.craftedArchive(size: [4], stride: [1], elements: 4, storage: Data(count: 64 << 20), claimedSize: 16)
        defer { try? FileManager.default.removeItem(at: liar) }
        do {
            _ = try PyTorchCheckpoint.read(liar)
            Issue.record("a storage whose headers claim 16 bytes and which inflates to 64 MiB was accepted")
        } catch ModelError.checkpoint(_, let reason) {
            #expect(reason.contains("archive/data/0 inflates past the 16 bytes its tensors declare"), "\(reason)")
        }
    }

    /// Reduced-width torchvision ResNet-18 and ResNet-50 saved by `torch.save` give PyTorch's eval-mode logits.
    @Test(arguments: [(ResNet.Depth.r18, "18"), (.r50, "50")])
    func torchvisionCheckpointsGivePyTorchsLogits(depth: ResNet.Depth, name: String) throws {
        let weights = try PretrainedWeights.read(Self.fixture("pytorch_resnet\(name)_w4_eval.pth"))
        let reference = try SafeTensors(data: Data(contentsOf: Self.fixture("pytorch_resnet\(name)_logits.safetensors")), source: "reference")
        let model = try ResNet(depth: depth, variant: .v1, classes: 10, baseWidth: 4, initializer: .skip)
        #expect(try PretrainedWeights.load(weights, into: model, source: "pth").isEmpty, "every tensor fits, the classifier included")
        model.setConvolutionAlgorithm(.direct)
        model.eval()
        let logits = try model.fusedForInference()(try #require(reference["input"]))
        let expected = try #require(reference["logits"])
        #expect(logits.shape == [2, 10])
        let worst = zip(logits.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "largest logit difference \(worst)")
    }

    /// `petal import`: the safetensors file holds the same tensors, names the source and architecture, and is never
    /// written over unless asked; a state dict of another network is refused.
    @Test func importConvertsOnceAndRecognisesTheArchitecture() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Self.fixture("pytorch_resnet50_w4_eval.pth"), output = dir.appendingPathComponent("r50.safetensors")
        let architecture = try PretrainedWeights.importPyTorch(source, to: output)
        #expect(architecture == RecognisedArchitecture(try PyTorchCheckpoint.read(source)))
        #expect(architecture.trainOptions == "--variant v1 --width 4 --model resnet50")
        #expect(architecture.description == "resnet50 (torchvision v1), width 4, 10 classes")
        let converted = try SafeTensors(data: Data(contentsOf: output), source: output.path), original = try PyTorchCheckpoint.read(source)
        #expect(converted.tensors.map(\.name) == original.tensors.map(\.name))
        #expect(zip(converted.tensors, original.tensors).allSatisfy { $0.tensor.shape == $1.tensor.shape && $0.tensor.scalars == $1.tensor.scalars })
        #expect(converted.metadata["source"] == "pytorch_resnet50_w4_eval.pth" && converted.metadata["architecture"] == architecture.description)
        #expect(RecognisedResNet(try PyTorchCheckpoint.read(Self.fixture("pytorch_resnet18_w4_eval.pth")))?.depth == .r18)
        do { try PretrainedWeights.importPyTorch(source, to: output); Issue.record("an existing file was written over") }
        catch ModelError.checkpoint(let path, let reason) { #expect(path == output.path && reason.contains("--overwrite")) }
        #expect(throws: Never.self) { try PretrainedWeights.importPyTorch(source, to: output, overwrite: true) }
        do { try PretrainedWeights.importPyTorch(Self.fixture("pytorch_state.pth"), to: dir.appendingPathComponent("x.safetensors")); Issue.record("accepted") }
        catch ModelError.checkpoint(_, let reason) { #expect(reason.contains("is not a torchvision state dict of a network Petal builds")) }
    }

    /// `petal import` recognises every family from torchvision's names and shapes: MobileNetV3's size and EfficientNet's
    /// and ConvNeXt's variants from their blocks (and ConvNeXt's widths), the width multiplier from the channels.
    @Test func everyFamilyIsRecognisedWithItsWidth() throws {
        let small = try SafeTensors(data: Data(contentsOf: Bundle.module.url(forResource: "mobilenet_v3_small_w025", withExtension: "safetensors", subdirectory: "Fixtures")!), source: "small")
        #expect(RecognisedArchitecture(small) == .zoo("mobilenet_v3_small", widthMultiplier: 0.25, classes: 3))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-recognise-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(Module, RecognisedArchitecture, String)] = [
            (try EfficientNet(.b0, classes: 5, widthMultiplier: 0.5, initializer: .skip), .zoo("efficientnet_b0", widthMultiplier: 0.5, classes: 5), "--model efficientnet_b0 --width-multiplier 0.5"),
            (try EfficientNet(.b3, classes: 2, widthMultiplier: 0.25, initializer: .skip), .zoo("efficientnet_b3", widthMultiplier: 0.25, classes: 2), "--model efficientnet_b3 --width-multiplier 0.25"),
            (try MobileNetV3(.large, classes: 4, widthMultiplier: 0.5, initializer: .skip), .zoo("mobilenet_v3_large", widthMultiplier: 0.5, classes: 4), "--model mobilenet_v3_large --width-multiplier 0.5"),
            (try ConvNeXt(.tiny, classes: 3, widthMultiplier: 0.25, initializer: .skip), .zoo("convnext_tiny", widthMultiplier: 0.25, classes: 3), "--model convnext_tiny --width-multiplier 0.25"),
            (try ConvNeXt(.base, classes: 2, widthMultiplier: 0.25, initializer: .skip), .zoo("convnext_base", widthMultiplier: 0.25, classes: 2), "--model convnext_base --width-multiplier 0.25"),
            (try VisionTransformer(.b16, classes: 3, widthMultiplier: 0.25, initializer: .skip), .zoo("vit_b_16", widthMultiplier: 0.25, classes: 3), "--model vit_b_16 --width-multiplier 0.25"),
        ]
        // Names no family has, or a crafted stage index, are simply not recognised.
        let stem = try Tensor(shape: [8, 3, 3, 3], scalars: Array(repeating: 0, count: 216))
        for names in [["features.0.0.weight"], ["features.0.0.weight", "features.99999999.0.weight"], ["features.0.0.weight", "classifier.1.weight"]] {
            #expect(RecognisedArchitecture(SafeTensors(tensors: names.map { ($0, stem) })) == nil, "\(names)")
        }
        for (model, expected, options) in cases {
            let file = dir.appendingPathComponent("model.safetensors")
            try model.save(to: file, metadata: CheckpointMetadata())
            let recognised = RecognisedArchitecture(try SafeTensors(data: Data(contentsOf: file), source: file.path))
            #expect(recognised == expected && recognised?.trainOptions == options, "\(String(describing: recognised))")
        }
    }

    @Test func damagedArchivesAndForeignFilesAreErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("petal-pth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = try Data(contentsOf: Self.fixture("pytorch_state.pth"))
        let cases: [(String, Data, String)] = [
            ("legacy.pth", Data([0x80, 0x02, 0x8A, 0x0A]) + Data(count: 20), "the format before PyTorch 1.6"),
            ("truncated.pth", good.prefix(good.count / 2), "zip"),
            ("text.pth", Data("hello".utf8), "is a text file, not a checkpoint"),
            ("empty.pth", Data(), "is empty"),
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

