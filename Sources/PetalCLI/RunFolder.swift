// A run's folder: everything one training run produced, in one place a person can open.
import Foundation
import Petal

struct RunFolder {
    let url: URL

    /// Creates `runs/<yyyyMMdd-HHmmss>-<name>` under `parent` (or uses `path` as given).
    init(parent: String, name: String, path: String? = nil) throws {
        if let path {
            url = URL(fileURLWithPath: path)
        } else {
            let f = DateFormatter()
            f.dateFormat = "yyyyMMdd-HHmmss"
            f.timeZone = TimeZone(identifier: "UTC")
            url = URL(fileURLWithPath: parent).appendingPathComponent("\(f.string(from: Date()))-\(name)")
        }
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ValidationFailure("cannot create the run folder \(url.path): \(error.localizedDescription)")
        }
    }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes a value as pretty, sorted JSON.
    func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        try AtomicFile.write(try prettyJSON(value), to: file(name))
    }
}

/// An error with a ready message (for problems found by the CLI itself).
struct ValidationFailure: Error, LocalizedError {
    let message: String
    init(_ message: String) { self.message = message }
    var errorDescription: String? { message }
}

/// What `petal train` records in `config.json`: every setting of the run.
struct RunConfig: Codable {
    var data: DataConfig
    var dataDir: String
    var model: String
    var variant: String
    var width: Int
    var precision: Precision?
    /// Absent in runs made before the setting existed (they ran direct convolutions).
    var convolution: ConvolutionAlgorithm?
    var optimizer: String
    var learningRate: Float
    var momentum: Float
    var nesterov: Bool
    var weightDecay: Float
    var clipNorm: Float
    var schedule: Schedule
    var epochs: Int
    var monitor: String
    var earlyStoppingPatience: Int?
    var threads: Int
    var petalVersion: String
}

/// A value as pretty-printed JSON with sorted keys (what every JSON file and `--json` output uses).
func prettyJSON<T: Encodable>(_ value: T) throws -> Data {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try e.encode(value)
}
