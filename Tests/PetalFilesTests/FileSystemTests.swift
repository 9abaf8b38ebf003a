// Files by their raw bytes: names that are not UTF-8 list, open and read back; special files and broken links are
// named for what they are.
import Foundation
import Testing
import PetalFiles

@Suite struct FileSystemTests {
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "petal-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Creates a file whose name is `bytes` inside `folder`, with the C API (Foundation cannot name it).
    static func create(_ bytes: [UInt8], in folder: String, contents: [UInt8]) {
        let path = Array(folder.utf8) + [0x2F] + bytes + [0]
        let fd = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) } }
        precondition(fd >= 0)
        _ = contents.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }

    @Test func aNameThatIsNotUTF8ListsOpensAndReadsBack() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let latin1: [UInt8] = [0x72, 0x6F, 0x73, 0xE9, 0x2E, 0x6A, 0x70, 0x67]  // "rosé.jpg" in Latin-1
        Self.create(latin1, in: folder, contents: [1, 2, 3])
        Self.create(Array("plain.jpg".utf8), in: folder, contents: [4])
        let names = try #require(FileSystem.entries(of: folder)).sorted()
        #expect(names.count == 2 && names.contains("plain.jpg"))
        let odd = try #require(names.first { $0 != "plain.jpg" })
        #expect(FileSystem.bytes(of: odd) == latin1, "the name maps back to its bytes")
        #expect(FileSystem.printable(odd) == "ros\\xE9.jpg")
        #expect(try FileSystem.read(folder + "/" + odd) == Data([1, 2, 3]))
        #expect(FileSystem.name(fromBytes: Array("été ✓".utf8)) == "été ✓", "UTF-8 names are unchanged")
    }

    @Test func specialFilesBrokenLinksAndFoldersAreNamedForWhatTheyAre() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/pipe.jpg", link = folder + "/gone.jpg", missing = folder + "/none.jpg"
        #expect(mkfifo(fifo, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: folder + "/nowhere")
        // Issue 31, item 24: two links pointing at each other are a loop, not a broken link.
        let loop = folder + "/loop.jpg"
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: folder + "/back.jpg")
        try FileManager.default.createSymbolicLink(atPath: folder + "/back.jpg", withDestinationPath: loop)
        let cases: [(String, String)] = [(fifo, "is a FIFO, not a regular file"), (link, "a broken symbolic link (its target does not exist)"),
                                         (loop, "is a loop of symbolic links, not a regular file"),
                                         (missing, "no such file"), (folder, "is a folder, not a file")]
        for (path, reason) in cases {
            #expect(throws: FileError(path: path, reason: reason)) { try FileSystem.read(path) }
        }
        #expect(FileSystem.kind(of: fifo) == .special("a FIFO") && FileSystem.kind(of: link) == .brokenLink)
        let unreadable = folder + "/secret.jpg"
        FileManager.default.createFile(atPath: unreadable, contents: Data([1]))
        chmod(unreadable, 0)
        if getuid() != 0 {  // root reads anything
            #expect(throws: FileError(path: unreadable, reason: "permission denied")) { try FileSystem.read(unreadable) }
        }
    }
}
