// A run's folder: everything one training run produced, in one place a person can open. A folder has one writer
// at a time: opening it takes an advisory lock (`flock`) held until the `RunFolder` is released, so a second
// training, sweep or resume into the same folder fails at once, naming the process that holds it. A folder that
// already holds a run is never overwritten unless asked to.
import Foundation

/// A run folder, locked for writing while this value lives.
public final class RunFolder: @unchecked Sendable {
    /// The folder.
    public let url: URL
    private let lockDescriptor: Int32

    /// The lock file's name; it holds the writer's process id and host, for the message a second writer gets.
    public static let lockFileName = RunFolderManifest.lockFileName

    /// Opens a folder for a new run, creating it if needed.
    /// - Parameter overwrite: replace the run already in the folder (its files are removed); without it, a folder
    ///   holding a run (a `config.json`) is refused.
    /// - Throws: ``RunError/folder(path:reason:)`` when the folder cannot be created, another process writes to it,
    ///   or it holds a run and `overwrite` is off.
    public static func create(at url: URL, overwrite: Bool = false) throws -> RunFolder {
        try checkFolderPath(url)
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw RunError.folder(path: url.path, reason: "cannot be created (\(RunFolder.plain(error)))")
        }
        let folder = try RunFolder(locking: url)
        if folder.holdsRun {
            guard overwrite else {
                throw RunError.folder(path: url.path, reason: "already holds a run; resume it, choose another folder, or overwrite it explicitly")
            }
            try folder.removeRunFiles()
        }
        return folder
    }

    /// Refuses a folder path whose nearest existing part is a file (`--run-dir notes.txt/run`, `--tensorboard log.txt`):
    /// named plainly, before anything is written.
    static func checkFolderPath(_ url: URL) throws {
        var existing = url.standardizedFileURL
        while FileSystem.kind(of: existing.path) == .missing && existing.path != "/" { existing.deleteLastPathComponent() }
        switch FileSystem.kind(of: existing.path) {
        case .directory, .missing: return
        case .regularFile: throw RunError.folder(path: url.path, reason: existing.path == url.standardizedFileURL.path ? "is a file, not a folder" : "\(existing.path) is a file, not a folder")
        case .special(let what): throw RunError.folder(path: url.path, reason: "\(existing.path) is \(what), not a folder")
        case .brokenLink: throw RunError.folder(path: url.path, reason: "\(existing.path) is a broken symbolic link")
        }
    }

    /// Opens a new dated folder, `<parent>/<yyyyMMdd-HHmmss>-<name>` (UTC), with a numbered suffix if that exists.
    public static func dated(under parent: URL, name: String, now: Date = Date()) throws -> RunFolder {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw RunError.invalidSetting("name", reason: "must be one folder name (no '/', not '.' or '..'), got '\(name)'")
        }
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        let stem = "\(f.string(from: now))-\(name)"
        var url = parent.appendingPathComponent(stem), n = 2
        while FileManager.default.fileExists(atPath: url.path) {
            url = parent.appendingPathComponent("\(stem)-\(n)")
            n += 1
        }
        return try create(at: url)
    }

    /// Opens an existing folder (to resume its run or add to it); never creates one.
    public static func open(_ url: URL) throws -> RunFolder {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunError.folder(path: url.path, reason: "no such folder")
        }
        return try RunFolder(locking: url)
    }

    private init(locking url: URL) throws {
        self.url = url
        // The lock is on the folder itself, which cannot vanish under its writer as a lock file can (deleting
        // `.petal-lock` used to let a second writer in); the file only says who holds it.
        let lockPath = url.appendingPathComponent(RunFolder.lockFileName).path
        let fd = Foundation.open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RunError.folder(path: url.path, reason: "cannot be opened (\(String(cString: strerror(errno))))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            Foundation.close(fd)
            throw RunError.folder(path: url.path, reason: "is being written by another Petal process (\(holder.isEmpty ? "unknown" : holder)); wait for it or use another folder")
        }
        lockDescriptor = fd
        let holder = "process \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
        let note = Foundation.open(lockPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard note >= 0 else {
            Foundation.close(fd)
            throw RunError.folder(path: url.path, reason: "cannot be written (\(String(cString: strerror(errno))))")
        }
        _ = holder.withCString { write(note, $0, strlen($0)) }
        Foundation.close(note)
        removeStaleTemporaryFiles()
    }

    deinit { Foundation.close(lockDescriptor) }  // releases the lock

    /// A file in the folder.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Whether a file exists in the folder.
    public func contains(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name).path) }

    /// Whether the folder holds a run (its configuration).
    public var holdsRun: Bool { contains(RunFiles.configuration) }

    /// Writes a value as pretty, sorted JSON, atomically.
    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        try AtomicFile.write(try RunJSON.encode(value), to: file(name))
    }

    /// Reads a JSON file of the folder.
    public func readJSON<T: Decodable>(_ type: T.Type, from name: String) throws -> T {
        let data: Data
        do { data = try FileSystem.read(file(name).path) } catch let e as FileError {
            throw RunError.folder(path: url.path, reason: "\(name): \(e.reason)")
        }
        do { return try RunJSON.decode(type, from: data) } catch {
            throw RunError.folder(path: url.path, reason: "\(name) cannot be used: \(plainDecodingReason(error))")
        }
    }

    /// Temporary files of atomic writes interrupted by a kill: with the lock held, no writer can own one.
    private func removeStaleTemporaryFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where name.hasPrefix(".") && name.contains(".tmp-") {
            try? FileManager.default.removeItem(at: file(name))
        }
    }

    /// Removes the files a Petal run writes, and nothing else: a user's own files and folders in the run folder stay
    /// (even one named like a run's file: only names the folder's record says Petal wrote go; a folder from before
    /// the record goes by the names alone), and in `tensorboard/` only Petal's event files go.
    private func removeRunFiles() throws {
        func remove(_ item: URL) throws {
            do { try FileManager.default.removeItem(at: item) } catch {
                throw RunError.folder(path: url.path, reason: "cannot remove \(item.lastPathComponent) to overwrite the run (\(RunFolder.plain(error)))")
            }
        }
        func entries(_ folder: URL) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] }
        let written = RunFolderManifest.names(in: url)
        for name in entries(url) where RunFiles.isWrittenByARun(name) && written?.contains(name) ?? true {
            if FileSystem.kind(of: file(name).path) == .regularFile { try remove(file(name)) }
        }
        if written != nil { try remove(file(RunFolderManifest.fileName)) }
        let logs = file(RunFiles.tensorBoard)
        guard FileSystem.kind(of: logs.path) == .directory else { return }
        for folder in [logs] + ["train", "validation"].map(logs.appendingPathComponent) where FileSystem.kind(of: folder.path) == .directory {
            for name in entries(folder) where name.hasPrefix("events.out.tfevents.") && name.contains(".petal") { try remove(folder.appendingPathComponent(name)) }
        }
        for folder in ["train", "validation"].map(logs.appendingPathComponent) + [logs] where entries(folder).isEmpty {
            try? FileManager.default.removeItem(at: folder)  // only folders the removal emptied (or that were empty)
        }
    }

    /// An error's reason without Foundation's domain and code.
    static func plain(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return error.localizedDescription
    }
}

/// The files of a run folder.
public enum RunFiles {
    /// The names of everything a run, its report and the experiments written into its folder create (besides the
    /// lock and the TensorBoard logs): what overwriting a run removes.
    static func isWrittenByARun(_ name: String) -> Bool {
        let fixed: Set = [configuration, split, scan, history, best, last, trainingState, evaluation, report, "predictions.json",
                          "top-losses.json", "samples.png", "augmentations.png", "channels.png", "morphology.png", "normalisation.png",
                          "flips.png", "affine.png", "sweep.csv", "sweep.svg", "lr-finder.csv", "lr-finder.svg", OverfitFiles.history,
                          OverfitFiles.curves, OverfitFiles.verdict, RunComparison.fileName]
        return fixed.contains(name) || name.wholeMatch(of: /(prediction|gradcam|top-loss)-[0-9]+\.png/) != nil
    }

    /// The run's settings (``RunConfiguration``).
    public static let configuration = "config.json"
    /// The training/validation split, to reproduce it.
    public static let split = "split.json"
    /// What the data-set scan found.
    public static let scan = "scan.json"
    /// One row of logs per completed epoch.
    public static let history = "history.csv"
    /// The best model so far by the monitored value (a model checkpoint with metadata).
    public static let best = "best.safetensors"
    /// TensorBoard's log folder (`train/` and `validation/` event files), unless the run logs elsewhere.
    public static let tensorBoard = "tensorboard"
    /// The latest completed epoch's model (a model checkpoint with metadata).
    public static let last = "last.safetensors"
    /// What a resume needs, as one consistent unit (see `ResumeCheckpoint`).
    public static let trainingState = "training-state.safetensors"
    /// The best checkpoint's scores on the validation split.
    public static let evaluation = "evaluation.json"
    /// The HTML report.
    public static let report = "report.html"
}
