// One writer per run folder, no silent overwrite, and clean-up of what a killed write left.
import Foundation
import Testing
@testable import PetalRun

@Suite struct RunFolderTests {
    private func temporaryURL() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("petal-folder-\(UUID().uuidString)") }

    @Test func aSecondWriterIsRefusedUntilTheFirstReleasesTheFolder() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        var first: RunFolder? = try RunFolder.create(at: url)
        #expect(first != nil)
        do {
            _ = try RunFolder.open(url)
            Issue.record("a second writer was let in")
        } catch let RunError.folder(path, reason) {
            #expect(path == url.path && reason.contains("another Petal process (process \(getpid())"), "\(reason)")
        }
        // Deleting the lock file does not let a second writer in: the folder itself is locked (issue 31, item 17).
        try FileManager.default.removeItem(at: url.appendingPathComponent(RunFolder.lockFileName))
        #expect(throws: RunError.self) { _ = try RunFolder.open(url) }
        first = nil
        #expect(throws: Never.self) { _ = try RunFolder.open(url) }
    }

    @Test func aFolderHoldingARunIsOverwrittenOnlyWhenAsked() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            let folder = try RunFolder.create(at: url)
            try folder.writeJSON(["epochs": 1], to: RunFiles.configuration)
            try AtomicFile.write(Data("kept".utf8), to: folder.file(RunFiles.history))
            try AtomicFile.write(Data("png".utf8), to: folder.file("gradcam-3.png"))
        }
        #expect(throws: RunError.folder(path: url.path, reason: "already holds a run; resume it, choose another folder, or overwrite it explicitly")) {
            _ = try RunFolder.create(at: url)
        }
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.history).path), "refusing leaves the run intact")
        // Beside the run: a user's own file and folder, and a file of theirs among the TensorBoard logs.
        let events = url.appendingPathComponent("tensorboard/train/events.out.tfevents.1.host.2.petal")
        try FileManager.default.createDirectory(at: events.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("event".utf8).write(to: events)
        try Data("mine".utf8).write(to: url.appendingPathComponent("tensorboard/notes.txt"))
        try Data("mine".utf8).write(to: url.appendingPathComponent("notes.txt"))
        try FileManager.default.createDirectory(at: url.appendingPathComponent("photos/daisy"), withIntermediateDirectories: true)
        try Data("jpeg".utf8).write(to: url.appendingPathComponent("photos/daisy/1.jpg"))
        // A picture of theirs named like one a run writes, which this run did not: Petal's record says it is not Petal's.
        try Data("theirs".utf8).write(to: url.appendingPathComponent("samples.png"))
        let replaced = try RunFolder.create(at: url, overwrite: true)
        #expect(!replaced.holdsRun && !replaced.contains(RunFiles.history) && !replaced.contains("gradcam-3.png"))
        #expect(!replaced.contains(RunFolderManifest.fileName), "the record goes with the files it lists")
        // Only what a run wrote goes (issue 31, item 9).
        for kept in ["notes.txt", "photos/daisy/1.jpg", "tensorboard/notes.txt", "samples.png"] {
            #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent(kept).path), "\(kept) was removed")
        }
        #expect(!FileManager.default.fileExists(atPath: events.path) && !FileManager.default.fileExists(atPath: events.deletingLastPathComponent().path))
    }

    /// A run folder written before Petal kept its record of written files is overwritten by the run files' names.
    @Test func aRunFolderWithoutARecordIsOverwrittenByNames() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for name in [RunFiles.configuration, RunFiles.history, "samples.png", "notes.txt"] { try Data("old".utf8).write(to: url.appendingPathComponent(name)) }
        let replaced = try RunFolder.create(at: url, overwrite: true)
        #expect(!replaced.contains(RunFiles.configuration) && !replaced.contains(RunFiles.history) && !replaced.contains("samples.png"))
        #expect(replaced.contains("notes.txt"))
    }

    @Test func openingRemovesTemporaryFilesOfKilledWritesAndNeverCreatesAFolder() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        #expect(throws: RunError.folder(path: url.path, reason: "no such folder")) { _ = try RunFolder.open(url) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let stale = url.appendingPathComponent(".last.safetensors.tmp-123-456")
        try Data("half".utf8).write(to: stale)
        _ = try RunFolder.open(url)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
    }

    @Test func runJSONWritesNonFiniteNumbersInsteadOfFailing() throws {
        let data = try RunJSON.encode(["loss": Double.nan, "lr": .infinity])
        #expect(String(decoding: data, as: UTF8.self).contains("\"nan\""))
        let back = try RunJSON.decode([String: Double].self, from: data)
        #expect(back["loss"]!.isNaN && back["lr"] == .infinity)
    }

    @Test func aDamagedConfigurationIsNamedInPlainWords() throws {
        let url = temporaryURL()
        defer { try? FileManager.default.removeItem(at: url) }
        let folder = try RunFolder.create(at: url)
        for (text, reason) in [("{\"dataDirectory\": \"/d\"}", "the key 'data' is missing"), ("{not json", "it is not valid JSON"),
                               ("{\"dataDirectory\": 5}", "'dataDirectory' has the wrong type or is empty")] {
            try Data(text.utf8).write(to: folder.file(RunFiles.configuration))
            #expect(throws: RunError.folder(path: url.path, reason: "config.json cannot be used: \(reason)")) {
                _ = try folder.readJSON(RunConfiguration.self, from: RunFiles.configuration)
            }
        }
    }
}

