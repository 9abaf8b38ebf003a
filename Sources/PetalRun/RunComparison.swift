// Runs side by side: their settings, best figures and per-epoch curves, gathered from their folders into one
// `comparison.json` so that a run's report can draw them (as `make demo` compares the tutorial's recipe with the
// default one on the same split).
import Foundation
import PetalData
import PetalReport
import PetalTrain

/// Completed runs gathered for comparison: what each was, how it learned and how its best model scored.
public struct RunComparison: Codable, Sendable {
    /// One run of the comparison.
    public struct Entry: Codable, Sendable {
        /// The run folder's name.
        public var name: String
        /// The run folder.
        public var folder: URL
        /// The recipe and the settings that differ from it, in one line.
        public var recipe: String
        /// Per-epoch logs by key (`loss`, `val_auc`, …), from `history.csv`.
        public var history: [String: [Double]]
        /// The best checkpoint's validation scores, if the run finished.
        public var evaluation: EvaluationSummary?
        /// The validation images, to tell whether the runs were scored on the same ones.
        var validation: [[String]]?
    }

    /// The runs, in the order given.
    public var entries: [Entry]

    /// Whether every run was validated on the same images (the same classes and files), so that their figures compare.
    public var sameValidationImages: Bool {
        guard let first = entries.first?.validation else { return false }
        return entries.allSatisfy { $0.validation == first }
    }

    /// The file a run folder keeps a comparison in; the run's report then draws it.
    public static let fileName = "comparison.json"

    /// Gathers the runs in `folders`, at least two, each holding `config.json` and `history.csv`.
    public init(runs folders: [URL]) throws {
        guard folders.count >= 2 else { throw RunError.invalidSetting("runs", reason: "a comparison needs at least two run folders, got \(folders.count)") }
        entries = try folders.map(Self.entry)
    }

    private static func entry(_ url: URL) throws -> Entry {
        func read<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
            let file = url.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw RunError.folder(path: url.path, reason: "holds no \(name); is it a Petal run folder?")
            }
            let data: Data
            do { data = try FileSystem.read(file.path) } catch let e as FileError { throw RunError.folder(path: url.path, reason: "\(name): \(e.reason)") }
            do { return try RunJSON.decode(type, from: data) } catch {
                throw RunError.folder(path: url.path, reason: "\(name) cannot be used: \(plainDecodingReason(error))")
            }
        }
        let configuration = try read(RunConfiguration.self, RunFiles.configuration)
        guard let table = CSVTable(url: url.appendingPathComponent(RunFiles.history)), table.rows > 0 else {
            throw RunError.folder(path: url.path, reason: "has no completed epoch in \(RunFiles.history)")
        }
        let history = Dictionary(uniqueKeysWithValues: table.header.compactMap { key in table.column(key).map { (key, $0) } })
        let evaluation = FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.evaluation).path)
            ? try read(EvaluationSummary.self, RunFiles.evaluation) : nil
        let split = FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.split).path)
            ? try read(DataSplit.self, RunFiles.split) : nil
        return Entry(name: url.standardizedFileURL.lastPathComponent, folder: url.standardizedFileURL, recipe: configuration.recipeDescription,
                     history: history, evaluation: evaluation, validation: split.map { [$0.classes] + $0.validation })
    }

    /// Writes the comparison into `folder` and rebuilds the folder's report, if it has one, to show it.
    public func write(into folder: RunFolder) throws {
        try folder.writeJSON(self, to: Self.fileName)
        if folder.contains(RunFiles.report) { try RunReport(folder: folder).write() }
    }

    /// One row per run: name, recipe, epochs, and the best checkpoint's validation accuracy, AUC and loss.
    public var table: (header: [String], rows: [[String]]) {
        (["Run", "Recipe", "Epochs", "Best val accuracy", "Best val ROC AUC", "Best val loss"],
         entries.map { e in
             let epochs = e.history["epoch"]?.count ?? e.history.values.first?.count ?? 0
             guard let s = e.evaluation else { return [e.name, e.recipe, String(epochs), "–", "–", "–"] }
             return [e.name, e.recipe, String(epochs), String(format: "%.4f", s.accuracy),
                     s.auc.map { String(format: "%.4f", $0) } ?? "undefined", String(format: "%.4f", s.loss)]
         })
    }

    /// Validation ROC AUC, validation accuracy, validation loss and training loss per epoch, one line per run.
    public func charts() throws -> [LineChart] {
        let panels = [("Validation ROC AUC", "val_auc", "AUC"), ("Validation accuracy", "val_accuracy", "accuracy"),
                      ("Validation loss", "val_loss", "cross-entropy"), ("Training loss", "loss", "cross-entropy")]
        return try panels.compactMap { title, key, label in
            let series = entries.compactMap { e in
                e.history[key].map { LineSeries(name: e.name, x: (1...$0.count).map(Double.init), y: $0) }
            }
            return series.isEmpty ? nil : try LineChart(title: title, xLabel: "epoch", yLabel: label, series: series,
                                                        yScale: ReportFigures.yScale(label: label, series), width: 520, height: 380)
        }
    }
}

extension RunConfiguration {
    /// The recipe and every optimizer or schedule setting that differs from it, e.g. "standard" or
    /// "tutorial, lr 0.05"; "custom" for runs written before recipes existed.
    public var recipeDescription: String {
        guard let recipe else { return "custom: \(optimizer.kind.rawValue) lr \(optimizer.learningRate), \(schedule.description)" }
        let base = recipe.optimizer
        var changes: [String] = []
        if optimizer.kind != base.kind { changes.append(optimizer.kind.rawValue) }
        if optimizer.learningRate != base.learningRate { changes.append("lr \(optimizer.learningRate)") }
        if optimizer.momentum != base.momentum { changes.append("momentum \(optimizer.momentum)") }
        if optimizer.nesterov != base.nesterov { changes.append("Nesterov") }
        if optimizer.weightDecay != base.weightDecay { changes.append("weight decay \(optimizer.weightDecay)") }
        if optimizer.clipNorm != base.clipNorm { changes.append("clip norm \(optimizer.clipNorm)") }
        if optimizer.discriminativeFactor != base.discriminativeFactor, let f = optimizer.discriminativeFactor { changes.append("discriminative rates \(f)") }
        if schedule != recipe.schedule { changes.append("schedule \(schedule.description)") }
        return ([recipe.rawValue] + changes).joined(separator: ", ")
    }
}
