// The one atomic writer replaces regular files only: a symbolic link, FIFO, folder or device at the target is refused
// with a clear error and left as it was (an --overwrite run as root once replaced /dev/full with a regular file).
import Foundation
import Testing
@testable import PetalFiles

@Suite struct AtomicFileTests {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aRegularFileIsReplacedAndNothingElseIs() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let regular = dir.appendingPathComponent("model.safetensors")
        try AtomicFile.write(Data("old".utf8), to: regular)
        try AtomicFile.write(Data("new".utf8), to: regular)
        #expect(try Data(contentsOf: regular) == Data("new".utf8))

        let target = dir.appendingPathComponent("precious.txt")
        try Data("keep".utf8).write(to: target)
        let link = dir.appendingPathComponent("link.safetensors")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let fifo = dir.appendingPathComponent("fifo.onnx")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let folder = dir.appendingPathComponent("folder.json")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        for (url, what) in [(link, "a symbolic link"), (fifo, "a FIFO"), (folder, "a folder"), (URL(fileURLWithPath: "/dev/null"), "a device")] {
            #expect(throws: FileError(path: url.path, reason: "exists and is \(what); Petal replaces regular files only")) {
                try AtomicFile.write(Data("x".utf8), to: url)
            }
        }
        #expect(try Data(contentsOf: target) == Data("keep".utf8), "the link's target is untouched")
        #expect(FileSystem.kind(of: fifo.path) == .special("a FIFO") && FileSystem.kind(of: "/dev/null") == .special("a device"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == target.path, "the link is still a link")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["fifo.onnx", "folder.json", "link.safetensors", "model.safetensors", "precious.txt"],
                "no temporary file is left")
    }

    /// Issue 31, item 24: a target whose folder is missing (or is a file) is named for that, not for the temporary file
    /// the writer could not create.
    @Test func aMissingFolderIsNamed() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nowhere/model.onnx")
        #expect(throws: FileError(path: missing.path, reason: "its folder \(dir.path)/nowhere does not exist")) { try AtomicFile.write(Data([1]), to: missing) }
        let file = dir.appendingPathComponent("file")
        try Data([1]).write(to: file)
        let under = file.appendingPathComponent("model.onnx")
        #expect(throws: FileError(path: under.path, reason: "\(file.path) is not a folder")) { try AtomicFile.write(Data([1]), to: under) }
    }
}
