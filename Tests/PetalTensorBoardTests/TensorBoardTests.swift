// TensorBoard event files: a fixture written by TensorBoard's own writer (Scripts/fixtures/tensorboard_fixtures.py) is
// read as TensorBoard's own reader reads it and re-encoded byte for byte; Petal's files round-trip; damage is named.
import Foundation
import PetalTensorBoard
@testable import PetalTensorBoard
import PetalTrain
import Testing

@Suite struct TensorBoardTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let fixture = fixtures.appendingPathComponent("events.out.tfevents.fixture")

    struct Expected: Decodable {
        struct Event: Decodable { let step: Int; let wall_time: Double; let file_version: String?; let values: [Value] }
        struct Value: Decodable {
            let tag: String
            let scalar: Double?
            let width: Int?, height: Int?, channels: Int?, png_bytes: Int?
            let count: Double?, sum: Double?, bucket_counts: [Double]?, bucket_limits: [Double]?
        }
        let events: [Event]
    }

    @Test func masksCRC32CAsTensorFlowDoes() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)  // the standard check value of CRC-32C
        #expect(CRC32C.checksum([UInt8]()) == 0)
        let c = CRC32C.checksum(Array("petal".utf8))
        #expect(CRC32C.masked(Array("petal".utf8)) == ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }

    @Test func readsWhatTensorBoardWroteAsTensorBoardReadsIt() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("events.json")))
        let events = try TensorBoardEventFile.read(Self.fixture)
        try #require(events.count == expected.events.count)
        for (event, want) in zip(events, expected.events) {
            #expect(event.step == want.step && event.wallTime == want.wall_time && event.fileVersion == want.file_version)
            try #require(event.values.count == want.values.count)
            for (got, value) in zip(event.values, want.values) {
                #expect(got.tag == value.tag)
                switch got.value {
                case .scalar(let x): #expect(Double(x) == value.scalar)
                case .image(let png, let w, let h, let c):
                    #expect([w, h, c, png.count] == [value.width, value.height, value.channels, value.png_bytes])
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                case .histogram(let histogram):
                    #expect(histogram.count == value.count && histogram.sum == value.sum)
                    #expect(histogram.bucketCounts == value.bucket_counts && histogram.bucketLimits == value.bucket_limits)
                case .other(let kind): Issue.record("\(got.tag) read as \(kind)")
                }
            }
        }
    }

    @Test func reencodesTensorBoardsFileByteForByte() throws {
        let bytes = try Data(contentsOf: Self.fixture)
        let records = try TensorBoardEventFile.records(Self.fixture)
        #expect(records.count == 7)
        for record in records { #expect(try TensorBoardEvent.reencoded(record) == record) }
        #expect(records.map(TFRecord.frame).reduce(Data(), +) == bytes)
    }

    @Test func petalsFilesRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("petal-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let writer = try TensorBoardWriter(directory: folder)
        try writer.scalars(["epoch_loss": 0.5, "epoch_accuracy": 0.75], step: 3, wallTime: Date(timeIntervalSince1970: 100))
        let image = try Image<UInt8>(height: 2, width: 3, channels: 3, pixels: (0..<18).map { UInt8($0 * 10) })
        try writer.image("batch", image, step: 4, wallTime: Date(timeIntervalSince1970: 101))
        try writer.histograms([(tag: "fc.weight", values: [1, 2, 2, 3, 10])], step: 5, wallTime: Date(timeIntervalSince1970: 102))
        let events = try TensorBoardEventFile.read(writer.url)
        try #require(events.count == 4)
        #expect(events[0].fileVersion == "brain.Event:2")
        #expect(events[1] == TensorBoardEvent(wallTime: 100, step: 3, values: [.init("epoch_accuracy", .scalar(0.75)), .init("epoch_loss", .scalar(0.5))]))
        guard case .image(let png, 3, 2, 3) = events[2].values.first?.value else { Issue.record("\(events[2])"); return }
        #expect(try ImageCodec.decode(png).pixels == image.pixels)
        guard case .histogram(let h) = events[3].values.first?.value else { Issue.record("\(events[3])"); return }
        #expect(h.count == 5 && h.sum == 18 && h.minimum == 1 && h.maximum == 10 && h.bucketCounts.reduce(0, +) == 5)
        // 30 buckets of 0.3 over [1, 10], each (left, right]: 1 in the first, 2 and 2 in (1.9, 2.2], 3 in (2.8, 3.1], 10 in the last.
        #expect(h.bucketCounts[0] == 1 && h.bucketCounts[3] == 2 && h.bucketCounts[6] == 1 && h.bucketCounts[29] == 1)
        for record in try TensorBoardEventFile.records(writer.url) { #expect(try TensorBoardEvent.reencoded(record) == record) }
    }

    @Test func damagedFilesAreNamedWithTheRecord() throws {
        var bytes = try Data(contentsOf: Self.fixture)
        let records = try TensorBoardEventFile.records(Self.fixture)
        let secondData = TFRecord.frame(records[0]).count + 12
        bytes[secondData] ^= 0xFF
        #expect(throws: TensorBoardError.damaged(path: "x", reason: "record 2 has a wrong data checksum")) {
            try TFRecord.records(in: bytes, source: "x")
        }
        let cut = try Data(contentsOf: Self.fixture).dropLast(3)
        #expect(throws: TensorBoardError.damaged(path: "x", reason: "record 7 claims 560 bytes, more than the file holds")) {
            try TFRecord.records(in: Data(cut), source: "x")
        }
        #expect(try TFRecord.records(in: Data(cut), source: "x", allowPartialEnd: true).count == 6)
    }

    /// Three batches of four 4-value inputs an epoch, and a one-layer network over them.
    final class Flat: BatchSource {
        let x: Tensor, classCount = 2, batchesPerEpoch = 3
        init() throws {
            var generator = SeededGenerator(seed: 2)
            x = try Tensor.randomNormal([12, 4], generator: &generator)
        }
        func batches(epoch: Int) throws -> AnyIterator<Batch> {
            var i = 0
            return AnyIterator { [self] in
                guard i < 3 else { return nil }
                defer { i += 1 }
                return try? Batch(images: x.slice(batch: (i * 4)..<(i * 4 + 4)).reshaped([4, 4, 1, 1]), labels: [0, 1, 1, 0], classCount: 2)
            }
        }
        final class Reshape: Module { override func forward(_ x: Tensor) throws -> Tensor { try x.reshaped([x.shape[0], 4]) } }
        static func network() throws -> Module { Sequential(Reshape(), try Dense(4, 2, initializer: WeightInitializer(seed: 1))) }
    }

    func events(_ folder: URL, _ part: String) throws -> [TensorBoardEvent] {
        try TensorBoardEventFile.files(in: folder.appendingPathComponent(part)).flatMap { try TensorBoardEventFile.read($0) }
    }

    func scalars(_ events: [TensorBoardEvent], _ tag: String) -> [Int: Float] {
        var out: [Int: Float] = [:]
        for e in events { for v in e.values where v.tag == tag { if case .scalar(let s) = v.value { out[e.step] = s } } }
        return out
    }

    @Test func theLoggerWritesKerasLayoutEqualToTheHistory() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("petal-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let net = try Flat.network()
        let logger = TensorBoardLogger(directory: folder, histograms: true)
        let history = try Trainer.fit(net, train: Flat(), validation: Flat(), epochs: 2, optimizer: SGD(parameters: net.parameters, learningRate: 0.1),
                                      callbacks: [logger])
        let train = try events(folder, "train"), validation = try events(folder, "validation")
        #expect(scalars(train, "epoch_loss") == [0: Float(history.values("loss")[0]), 1: Float(history.values("loss")[1])])
        #expect(scalars(validation, "epoch_auc") == [0: Float(history.values("val_auc")[0]), 1: Float(history.values("val_auc")[1])])
        #expect(scalars(train, "epoch_learning_rate") == [0: 0.1, 1: 0.1])
        #expect(scalars(train, "batch_loss").keys.sorted() == [1, 2, 3, 4, 5, 6])
        #expect(train.contains { $0.values.contains { $0.tag == "1.weight" && { if case .histogram = $0.value { true } else { false } }($0) } })
    }

    /// Issue 31, item 24: a training cut during its second epoch and resumed logs that epoch's batches again; the
    /// resumed file starts with a session-start marker at the resumed step, so TensorBoard (which drops earlier events
    /// at that step or later) shows each batch once.
    @Test func aResumedTrainingTellsTensorBoardToDropTheCutEpochsBatches() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("petal-tb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        final class StopInSecondEpoch: Callback {
            func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws { if state.epoch == 1 && batch == 1 { state.stop("cut") } }
        }
        let net = try Flat.network()
        _ = try Trainer.fit(net, train: Flat(), validation: Flat(), epochs: 2, optimizer: SGD(parameters: net.parameters, learningRate: 0.1),
                            callbacks: [TensorBoardLogger(directory: folder), StopInSecondEpoch()])
        _ = try Trainer.fit(net, train: Flat(), validation: Flat(), epochs: 2, optimizer: SGD(parameters: net.parameters, learningRate: 0.1),
                            callbacks: [TensorBoardLogger(directory: folder)], initialEpoch: 1)
        let written = try events(folder, "train")
        let steps = written.flatMap { e in e.values.filter { $0.tag == "batch_loss" }.map { _ in e.step } }
        #expect(steps == [1, 2, 3, 4, 5, 4, 5, 6], "the cut epoch's batches 4 and 5 are written twice")
        // TensorBoard's reading: a session start at step s drops the events before it at step s or later.
        var shown: [TensorBoardEvent] = []
        for e in written {
            if e.sessionStart { shown.removeAll { $0.step >= e.step } }
            shown.append(e)
        }
        #expect(written.filter(\.sessionStart).map(\.step) == [4])
        #expect(scalars(shown, "batch_loss").keys.sorted() == [1, 2, 3, 4, 5, 6])
        #expect(shown.flatMap { e in e.values.filter { $0.tag == "batch_loss" }.map { _ in e.step } } == [1, 2, 3, 4, 5, 6])
    }
}
