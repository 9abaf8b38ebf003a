import Foundation
import PetalTestSupport
import Testing
@testable import PetalFiles
@testable import PetalNN

/// A fresh temporary folder per test.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite(.serialized) struct CheckpointTests {
    func smallModel(seed: UInt64) throws -> ResNet {
        try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: seed))
    }

    @Test func saveThenLoadIsBitExactAndKeepsMetadata() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try smallModel(seed: 1)
        // Move the running statistics away from their initial values so buffers are checked too.
        a.train()
        _ = try a(Tensor.randomNormal([2, 3, 32, 32], generator: &SeededGenerator.test))
        var meta = CheckpointMetadata(resnet: a, classNames: ["daisy", "rose"])
        meta.epoch = 3
        meta.metrics = ["val_auc": 0.875]
        let url = dir.appendingPathComponent("best.safetensors")
        try a.save(to: url, metadata: meta)

        let b = try smallModel(seed: 2)
        #expect(a.stateDict.map(\.tensor.scalars) != b.stateDict.map(\.tensor.scalars))
        let loaded = try b.load(from: url)
        #expect(loaded == meta)
        for ((na, ta), (nb, tb)) in zip(a.stateDict, b.stateDict) {
            #expect(na == nb)
            #expect(ta.scalars.map(\.bitPattern) == tb.scalars.map(\.bitPattern), "\(na) differs after the round trip")
        }
        let rebuilt = try #require(loaded).makeResNet()
        try rebuilt.load(from: url)
        #expect(rebuilt.parameterCount == a.parameterCount && rebuilt.classes == 2)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "best.safetensors" }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    @Test func theFileIsStandardSafetensors() throws {
        // Header layout per the safetensors spec: u64 little-endian length, JSON, 8-byte aligned data.
        let model = Sequential(try Dense(3, 2, initializer: WeightInitializer(seed: 5)))
        let url = try temporaryFolder().appendingPathComponent("dense.safetensors")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        try model.save(to: url)
        let data = try Data(contentsOf: url)
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(n % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        let w = try #require(header["0.weight"] as? [String: Any])
        #expect(w["dtype"] as? String == "F32" && w["shape"] as? [Int] == [2, 3] && w["data_offsets"] as? [Int] == [0, 24])
        #expect((header["__metadata__"] as? [String: String])?["format"] == "pt")
        #expect(data.count == 8 + n + 24 + 8)
        let firstWeight = data.subdata(in: (8 + n)..<(12 + n)).withUnsafeBytes { Float(bitPattern: $0.loadUnaligned(as: UInt32.self)) }
        #expect(firstWeight == model.parameters[0].scalars[0])
    }

    @Test func mismatchedCheckpointsNameEveryProblem() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("r18.safetensors")
        try smallModel(seed: 1).save(to: url)
        let threeClasses = try ResNet(depth: .r18, classes: 3, baseWidth: 4)
        do { try threeClasses.load(from: url); Issue.record("expected a shape error") } catch {
            #expect("\(error)".contains("fc.weight has shape [2, 32] in the file but [3, 32] in the model"))
        }
        let r34 = try ResNet(depth: .r34, classes: 2, baseWidth: 4)
        do { try r34.load(from: url); Issue.record("expected a missing-tensor error") } catch {
            #expect("\(error)".contains("missing") && "\(error)".contains("layer1.2.conv1.weight"))
        }
        let pre = try ResNet(depth: .r18, variant: .preActivation, classes: 2, baseWidth: 4)
        do { try pre.load(from: url); Issue.record("expected an unexpected-tensor error") } catch {
            #expect("\(error)".contains("unexpected") && "\(error)".contains(url.path))
        }
    }

    @Test func corruptAndTruncatedFilesGiveClearErrors() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.safetensors")
        let model = try smallModel(seed: 1)
        try model.save(to: good)
        let bytes = try Data(contentsOf: good)
        let cases: [(String, Data, String)] = [
            ("empty", Data(), "is empty"),
            ("short", Data([1, 2, 3]), "too short"),
            ("truncated", bytes.prefix(bytes.count / 2), "truncated"),
            ("garbage", Data("this is not a checkpoint at all".utf8), "is a text file, not a checkpoint"),
            ("badjson", Data([16, 0, 0, 0, 0, 0, 0, 0]) + Data("{not json!!!!!!!".utf8), "not valid JSON"),
        ]
        for (name, data, reason) in cases {
            let url = dir.appendingPathComponent("\(name).safetensors")
            try data.write(to: url)
            do { try model.load(from: url); Issue.record("\(name): expected an error") } catch {
                #expect("\(error)".contains(url.path) && "\(error)".contains(reason), "\(name): \(error)")
            }
        }
        do { try model.load(from: dir.appendingPathComponent("missing.safetensors")); Issue.record("expected an error") } catch {
            #expect("\(error)".hasSuffix("missing.safetensors: no such file"), "\(error)")
        }
    }

    /// A checkpoint with one NaN is refused, naming the tensor, instead of spreading it through every prediction
    /// (issue 31, item 11); the model keeps its own weights.
    @Test func nonFiniteWeightsAreRefusedNamingTheTensor() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("nan.safetensors")
        let damaged = try smallModel(seed: 1)
        var values = try damaged.tensor(named: "layer2.0.conv1.weight").scalars
        values[5] = .nan
        try damaged.tensor(named: "layer2.0.conv1.weight").assign(Tensor(shape: damaged.tensor(named: "layer2.0.conv1.weight").shape, scalars: values))
        try damaged.save(to: url)
        let model = try smallModel(seed: 2), before = model.stateDict.map(\.tensor.scalars)
        #expect(throws: ModelError.checkpoint(path: url.path, reason: "its tensor 'layer2.0.conv1.weight' holds a non-finite value (NaN or infinity): the weights are damaged or come from a diverged run")) {
            try model.load(from: url)
        }
        #expect(model.stateDict.map(\.tensor.scalars) == before, "nothing was loaded")
    }

    @Test func aFailedSaveLeavesThePreviousCheckpointIntact() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("best.safetensors")
        let first = try smallModel(seed: 1)
        try first.save(to: url)
        let before = try Data(contentsOf: url)
        let second = try smallModel(seed: 2)
        AtomicFile.$failAfterBytesForTesting.withValue(1000) {
            #expect(throws: ModelError.self) { try second.save(to: url) }
        }
        #expect(try Data(contentsOf: url) == before, "the old checkpoint must survive a failed save")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["best.safetensors"], "no temporary file may remain")
    }
}

@Suite struct LayerTests {
    @Test func sequentialRunsItsLayersInOrderAndFusesThemForInference() throws {
        let init1 = WeightInitializer(seed: 3)
        let conv = try Conv2D(3, 8, kernel: 3, padding: 1, initializer: init1)
        let bn = try BatchNorm2D(8)
        let fused = Sequential(conv, bn, ReLU())
        let x = try Tensor.randomNormal([2, 3, 6, 6], generator: &SeededGenerator.test)
        let y = try fused(x)
        let bn2 = try BatchNorm2D(8)
        let unfused = try bn2(conv(x), fusedReLU: false).relu()
        #expect(zip(y.scalars, unfused.scalars).allSatisfy { abs($0 - $1) < 1e-5 })
        #expect(try bn.buffer("num_batches_tracked").item() == 1)
        #expect(fused.namedParameters.map(\.name) == ["0.weight", "0.bias", "1.weight", "1.bias"])
        fused.eval()
        let eval = try fused(x).scalars
        #expect(try fused.fusedForInference().isFused(inputShape: [3, 6, 6]))
        expectClose(try fused.fusedForInference()(x).scalars, eval.map(Double.init), rtol: 1e-5, atol: 1e-5, "fused Sequential")
    }

    @Test func modeAndGradientsPropagateToChildren() throws {
        let m = Sequential(try Dense(4, 3, initializer: WeightInitializer(seed: 1)), try Dropout(probability: 0.5), try Dense(3, 2, initializer: WeightInitializer(seed: 2)))
        m.eval()
        #expect(m.namedModules.allSatisfy { !$0.module.isTraining })
        let x = try Tensor.ones([5, 4])
        #expect(try m(x).scalars == (try m(x)).scalars, "dropout is off in eval mode")
        m.train()
        try m(x).sum().backward()
        #expect(m.parameters.allSatisfy { $0.grad != nil })
        m.zeroGrad()
        #expect(m.parameters.allSatisfy { $0.grad == nil })
        #expect(m.parameterCount == 4 * 3 + 3 + 3 * 2 + 2)
    }

    @Test func badLayerConfigurationsAndInputsThrow() throws {
        let g = WeightInitializer(seed: 1)
        #expect(throws: ModelError.self) { try Conv2D(3, 8, kernel: 3, groups: 2, initializer: g) }
        #expect(throws: ModelError.self) { try Conv2D(3, 8, kernel: 0, initializer: g) }
        #expect(throws: ModelError.self) { try Dense(0, 2, initializer: g) }
        #expect(throws: ModelError.self) { try BatchNorm2D(0) }
        #expect(throws: ModelError.self) { try Dropout(probability: 1) }
        do { _ = try Dense(4, 2, initializer: g)(Tensor.zeros([3, 5])); Issue.record("expected an error") } catch {
            #expect("\(error.localizedDescription)".contains("Dense(4→2): expects input [N, 4], [N, T, 4] or [N, 4, H, W], got [3, 5]"))
        }
    }

    @Test func skippedInitialisationLeavesZeros() throws {
        let conv = try Conv2D(2, 2, kernel: 1, initializer: .skip)
        #expect(conv.weight.scalars.allSatisfy { $0 == 0 })
        let random = try Conv2D(64, 64, kernel: 3, initializer: WeightInitializer(seed: 1))
        let v = random.weight.scalars.reduce(0) { $0 + $1 * $1 } / Float(random.weight.count)
        #expect(abs(v - 2 / 576) / (2 / 576) < 0.05, "He-normal with fan-out 64·3·3")
    }
}

/// Crafted checkpoints (the reliability issue's defects 1–3 and 11): every one is an error naming the problem, never a trap.
@Suite struct CraftedCheckpointTests {
    /// A safetensors file whose header is `header` (JSON) and whose data section has `dataBytes` zero bytes.
    static func file(header: String, dataBytes: Int = 16) -> Data {
        var json = Data(header.utf8)
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + Data(count: dataBytes)
    }

    @Test(arguments: [
        #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#,
        #"{"w":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,16]}}"#,
        #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[-9223372036854775807,9223372036854775807]}}"#,
        #"{"w":{"dtype":"F32","shape":[-4,-1],"data_offsets":[0,16]}}"#,
        #"{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#,
        #"{"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}"#,
        #"{"w":{"dtype":"F32","shape":"four","data_offsets":[0,16]}}"#,
    ])
    func craftedHeadersAreErrors(header: String) throws {
        do {
            _ = try SafeTensors(data: Self.file(header: header), source: "crafted.safetensors")
            Issue.record("accepted \(header)")
        } catch ModelError.checkpoint(let path, let reason) {
            #expect(path == "crafted.safetensors" && reason.contains("'w'"), "\(reason)")
        }
    }

    /// A diverged epoch's metrics (NaN, ±inf) are saved and read back, instead of failing the save with "the data isn't
    /// in the correct format".
    @Test func nonFiniteMetricsSaveAndLoad() throws {
        let model = try ResNet(depth: .r18, classes: 2, baseWidth: 4, initializer: WeightInitializer(seed: 1))
        var meta = CheckpointMetadata(resnet: model)
        meta.metrics = ["loss": .nan, "val_loss": .infinity, "lr": -.infinity, "val_auc": 0.5]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-nan-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.save(to: url, metadata: meta)
        let back = try #require(try model.load(from: url))
        #expect(back.metrics["loss"]!.isNaN && back.metrics["val_loss"] == .infinity && back.metrics["lr"] == -.infinity && back.metrics["val_auc"] == 0.5)
    }

    @Test func craftedMetadataIsAnErrorNamingTheField() throws {
        var good = CheckpointMetadata()
        (good.depth, good.variant, good.baseWidth, good.classNames) = (18, "v1", 4, ["a", "b"])
        #expect(throws: Never.self) { try good.validate() }
        let cases: [(String, (inout CheckpointMetadata) -> Void)] = [
            ("baseWidth", { $0.baseWidth = 1_000_000 }),
            ("inputSize", { $0.inputSize = [] }),
            ("inputSize", { $0.inputSize = [100, -1] }),
            ("smallImages", { $0.smallImages = "shrink" }),
            ("mean/std", { $0.normalisation = "meanStd"; $0.mean = [0.5]; $0.std = [0.2] }),
            ("mean/std", { $0.normalisation = "meanStd"; $0.mean = [0.5, 0.5, 0.5]; $0.std = [0.2, 0, 0.2] }),
            ("normalisation", { $0.normalisation = "zscore" }),
            ("classNames", { $0.classNames = [] }),
            ("inputChannels", { $0.inputChannels = 0 }),
        ]
        for (field, change) in cases {
            var m = good
            change(&m)
            do {
                _ = try m.makeResNet()
                Issue.record("\(field): accepted")
            } catch ModelError.invalidConfiguration(let reason) {
                #expect(reason.contains("'\(field)'"), "\(field): \(reason)")
            }
        }
    }
}
