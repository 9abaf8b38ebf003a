// An event file for TensorBoard, written as training goes: `events.out.tfevents.<time>.<host>.<pid>.petal` in a log
// folder, one TFRecord per event, flushed after each write so that a running TensorBoard sees every epoch at once and a
// kill loses nothing already logged.
import Foundation
import PetalFiles
import PetalImage

/// Appends events to one new event file.
public final class TensorBoardWriter {
    /// The event file written.
    public let url: URL
    private let handle: FileHandle

    /// Creates the folder if needed and a new event file in it, starting with the file-version event.
    /// - Throws: ``TensorBoardError/io(path:reason:)`` when the folder or file cannot be made.
    public init(directory: URL, clock: () -> Date = Date.init) throws {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw TensorBoardError.io(path: directory.path, reason: "cannot create the TensorBoard folder (\(error.localizedDescription))")
        }
        let now = clock().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        var name = "events.out.tfevents.\(Int(now)).\(host).\(getpid()).petal"
        var k = 1
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) { name = "events.out.tfevents.\(Int(now)).\(host).\(getpid()).petal\(k)"; k += 1 }
        url = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
            throw TensorBoardError.io(path: url.path, reason: "cannot create the event file")
        }
        self.handle = handle
        try write(TensorBoardEvent(wallTime: now, step: 0, fileVersion: "brain.Event:2"))
    }

    deinit { try? handle.close() }

    /// Appends one event.
    public func write(_ event: TensorBoardEvent) throws {
        do {
            try handle.write(contentsOf: TFRecord.frame(event.encoded()))
        } catch {
            throw TensorBoardError.io(path: url.path, reason: "cannot write (\(error.localizedDescription))")
        }
    }

    /// Appends scalars at `step`, one chart per tag.
    public func scalars(_ values: [String: Double], step: Int, wallTime: Date = Date()) throws {
        guard !values.isEmpty else { return }
        try write(TensorBoardEvent(wallTime: wallTime.timeIntervalSince1970, step: step,
                                   values: values.keys.sorted().map { .init($0, .scalar(Float(values[$0]!))) }))
    }

    /// Appends an image at `step` (stored as PNG).
    public func image(_ tag: String, _ image: Image<UInt8>, step: Int, wallTime: Date = Date()) throws {
        let png = Data(try image.encoded(as: .png))
        try write(TensorBoardEvent(wallTime: wallTime.timeIntervalSince1970, step: step,
                                   values: [.init(tag, .image(encoded: png, width: image.width, height: image.height, channels: image.channels))]))
    }

    /// Appends histograms at `step`, one per tag.
    public func histograms(_ values: [(tag: String, values: [Float])], step: Int, wallTime: Date = Date()) throws {
        guard !values.isEmpty else { return }
        try write(TensorBoardEvent(wallTime: wallTime.timeIntervalSince1970, step: step,
                                   values: values.map { .init($0.tag, .histogram(TensorBoardHistogram(values: $0.values))) }))
    }
}

/// Reads event files.
public enum TensorBoardEventFile {
    /// Every event of the file at `url`, in order.
    /// - Parameter allowPartialEnd: ignore a last record cut short (a file still being written).
    /// - Throws: ``TensorBoardError`` for an unreadable file, a wrong checksum or a record that is not an event.
    public static func read(_ url: URL, allowPartialEnd: Bool = false) throws -> [TensorBoardEvent] {
        try records(url, allowPartialEnd: allowPartialEnd).map { try TensorBoardEvent(decoding: $0, path: url.path) }
    }

    /// The records' bytes (each an `Event` protobuf).
    public static func records(_ url: URL, allowPartialEnd: Bool = false) throws -> [Data] {
        let data: Data
        do { data = try FileSystem.read(url.path) } catch let e as FileError { throw TensorBoardError.io(path: url.path, reason: e.reason) }
        return try TFRecord.records(in: data, source: url.path, allowPartialEnd: allowPartialEnd)
    }

    /// The event files of a log folder (TensorBoard reads every file whose name holds `tfevents`), oldest name first.
    public static func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.contains("tfevents") }.sorted().map { directory.appendingPathComponent($0) }
    }
}
