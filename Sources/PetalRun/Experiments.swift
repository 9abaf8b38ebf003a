// The tutorial's experiments on a run's settings: the learning-rate sweep (a fresh model per rate), fastai's
// range test and the overfit check. The sweep and the range test leave CSV and SVG files in a folder, and join
// its report when the folder holds a run.
import Foundation
import PetalData
import PetalNN
import PetalTrain

/// Experiments driven by a ``RunConfiguration`` (its data, model and optimizer settings).
public enum RunExperiments {
    /// Trains a fresh model per rate for `configuration.epochs` epochs (same initial weights) and writes
    /// `sweep.csv` and `sweep.svg` into `folder`.
    /// - Parameter callbacks: extra callbacks for each rate's training (a progress bar, say).
    public static func sweepLearningRates(_ rates: [Float], configuration: RunConfiguration, into folder: RunFolder,
                                          callbacks: (Float) -> [Callback] = { _ in [] },
                                          log: @escaping @Sendable (String) -> Void = PetalLog.sink) throws -> [SweepResult] {
        guard !rates.isEmpty else { throw RunError.invalidSetting("rates", reason: "needs at least one learning rate") }
        if let bad = rates.first(where: { !($0 > 0 && $0.isFinite) }) { throw RunError.invalidSetting("rates", reason: "must be positive numbers, got \(bad)") }
        try configuration.validate()
        let c = configuration
        let prepared = try DataPipeline.prepare(root: c.dataDirectory, config: c.data, log: log)
        let classes = prepared.train.classCount
        let results = try PetalTrain.sweepLearningRates(rates, epochs: c.epochs, makeModel: { try c.makeModel(classes: classes) },
                                                        makeOptimizer: { m, lr in try c.optimizer.makeOptimizer(for: m, learningRate: lr) },
                                                        train: prepared.train, validation: prepared.validation,
                                                        callbacks: { lr in log("— learning rate \(lr)"); return callbacks(lr) })
        let keys = ["loss", "accuracy", "val_loss", "val_accuracy", "val_auc"]
        var csv = "learning_rate,epoch," + keys.joined(separator: ",") + "\n"
        for r in results {
            for (i, logs) in r.history.epochs.enumerated() {
                csv += "\(r.learningRate),\(i + 1)," + keys.map { logs[$0].map { String($0) } ?? "" }.joined(separator: ",") + "\n"
            }
        }
        try AtomicFile.write(Data(csv.utf8), to: folder.file("sweep.csv"))
        if let table = CSVTable(url: folder.file("sweep.csv")) {
            try AtomicFile.write(Data(ReportFigures.sideBySide(try ReportFigures.sweep(table: table)).utf8), to: folder.file("sweep.svg"))
        }
        if folder.contains(RunFiles.report) { try RunReport(folder: folder).write() }
        return results
    }

    /// fastai's learning-rate range test on a fresh model; writes `lr-finder.csv` and `lr-finder.svg` into `folder`.
    public static func findLearningRate(configuration: RunConfiguration, start: Float = 1e-6, end: Float = 10, steps: Int = 60,
                                        into folder: RunFolder, log: @escaping @Sendable (String) -> Void = PetalLog.sink) throws -> LearningRateFinderResult {
        guard start > 0, end > start, end.isFinite else { throw RunError.invalidSetting("start/end", reason: "need 0 < start < end, got \(start) and \(end)") }
        guard steps >= 2 else { throw RunError.invalidSetting("steps", reason: "must be at least 2, got \(steps)") }
        try configuration.validate()
        let c = configuration
        let prepared = try DataPipeline.prepare(root: c.dataDirectory, config: c.data, log: log)
        let model = try c.makeModel(classes: prepared.train.classCount, log: log)
        let result = try PetalTrain.findLearningRate(model, optimizer: try c.optimizer.makeOptimizer(for: model, learningRate: start),
                                                     train: prepared.train, start: start, end: end, steps: steps)
        try ReportFigures.finder(result).write(to: folder.file("lr-finder.svg"))
        let csv = "learning_rate,smoothed_loss\n" + zip(result.rates, result.losses).map { "\($0),\($1)" }.joined(separator: "\n") + "\n"
        try AtomicFile.write(Data(csv.utf8), to: folder.file("lr-finder.csv"))
        if folder.contains(RunFiles.report) { try RunReport(folder: folder).write() }
        return result
    }

    /// The overfit check: `images` per class, no augmentation, trained for `epochs` epochs until memorised, with the
    /// validation split scored each epoch. Writes `overfit.csv` (every epoch's logs), `overfit.svg` (the curves) and
    /// `overfit.json` (the verdict) into `folder`; a run folder's report then shows them.
    public static func overfit(configuration: RunConfiguration, images: Int, epochs: Int, into folder: RunFolder,
                               callbacks: [Callback] = [], log: @escaping @Sendable (String) -> Void = PetalLog.sink) throws -> OverfitReport {
        guard images >= 1 else { throw RunError.invalidSetting("images", reason: "must be at least 1, got \(images)") }
        guard epochs >= 1 else { throw RunError.invalidSetting("epochs", reason: "must be at least 1, got \(epochs)") }
        var c = configuration
        c.data.perClassLimit = images
        c.data.augmentation = nil
        c.data.appendAugmentedCopy = false
        // A batch can hold at most the subset: images per class times the classes the folder really has.
        let classCount = try c.data.classes?.count ?? ImageFolder(root: c.dataDirectory).classes.count
        c.data.batchSize = min(c.data.batchSize, images * max(classCount, 1))
        try c.validate()
        let prepared = try DataPipeline.prepare(root: c.dataDirectory, config: c.data, log: log)
        let model = try c.makeModel(classes: prepared.train.classCount, log: log)
        let report = try overfitCheck(model, optimizer: try c.optimizer.makeOptimizer(for: model), subset: prepared.train,
                                      validation: prepared.validation, epochs: epochs, callbacks: callbacks)
        try HistoryFile.write(report.history.epochs, to: folder.file(OverfitFiles.history))
        try folder.writeJSON(OverfitVerdict(report, imagesPerClass: prepared.train.classCounts, epochs: epochs), to: OverfitFiles.verdict)
        if let table = CSVTable(url: folder.file(OverfitFiles.history)) {
            try AtomicFile.write(Data(ReportFigures.sideBySide(try ReportFigures.overfit(table: table)).utf8), to: folder.file(OverfitFiles.curves))
        }
        if folder.contains(RunFiles.report) { try RunReport(folder: folder).write() }
        return report
    }
}

/// The files the overfit check leaves in a folder.
public enum OverfitFiles {
    /// Every epoch's logs.
    public static let history = "overfit.csv"
    /// Loss and accuracy curves, training and validation.
    public static let curves = "overfit.svg"
    /// The verdict (``OverfitVerdict``).
    public static let verdict = "overfit.json"
}

/// The overfit check's outcome as `overfit.json` stores it.
public struct OverfitVerdict: Codable, Sendable, Equatable {
    /// Whether the subset was memorised: at the best epoch the loss had at least halved and training accuracy reached
    /// 100 %.
    public var passed: Bool
    /// The training images of each class the check used (fewer than asked when the split holds fewer).
    public var imagesPerClass: [Int]
    /// Epochs trained.
    public var epochs: Int
    /// The best epoch (1-based; the highest training accuracy, then the lowest loss).
    public var bestEpoch: Int
    /// The first epoch's training loss, and the best epoch's loss and accuracy.
    public var initialLoss: Double, bestLoss: Double, bestAccuracy: Double
    /// The last epoch's validation accuracy (it plateaus while training accuracy rises, as the tutorial shows).
    public var finalValidationAccuracy: Double?
    /// One line for people.
    public var summary: String

    /// The verdict of `report`, a check on `imagesPerClass` training images of each class over `epochs` epochs.
    public init(_ report: OverfitReport, imagesPerClass: [Int], epochs: Int) {
        (passed, self.imagesPerClass, self.epochs, bestEpoch) = (report.passed, imagesPerClass, epochs, report.bestEpoch + 1)
        (initialLoss, bestLoss, bestAccuracy) = (report.initialLoss, report.bestLoss, report.bestAccuracy)
        finalValidationAccuracy = report.history.epochs.last?["val_accuracy"]
        summary = report.summary
    }

    private enum CodingKeys: String, CodingKey {
        case passed, imagesPerClass, epochs, bestEpoch, initialLoss, bestLoss, bestAccuracy, finalValidationAccuracy, summary
    }
    /// What files before the best-epoch verdict held instead of `bestLoss` and `bestAccuracy`.
    private enum LastEpochKeys: String, CodingKey { case finalLoss, finalAccuracy }

    /// Decodes a verdict; files written before the best-epoch verdict hold one requested count and the last epoch's
    /// figures, read as they are.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self), last = try decoder.container(keyedBy: LastEpochKeys.self)
        passed = try c.decode(Bool.self, forKey: .passed)
        imagesPerClass = try (try? c.decode([Int].self, forKey: .imagesPerClass)) ?? [c.decode(Int.self, forKey: .imagesPerClass)]
        epochs = try c.decode(Int.self, forKey: .epochs)
        bestEpoch = try c.decodeIfPresent(Int.self, forKey: .bestEpoch) ?? epochs
        initialLoss = try c.decode(Double.self, forKey: .initialLoss)
        bestLoss = try c.decodeIfPresent(Double.self, forKey: .bestLoss) ?? last.decode(Double.self, forKey: .finalLoss)
        bestAccuracy = try c.decodeIfPresent(Double.self, forKey: .bestAccuracy) ?? last.decode(Double.self, forKey: .finalAccuracy)
        finalValidationAccuracy = try c.decodeIfPresent(Double.self, forKey: .finalValidationAccuracy)
        summary = try c.decode(String.self, forKey: .summary)
    }

    /// How many images per class, for people: "80" or "80, 78".
    public var imagesDescription: String {
        Set(imagesPerClass).count == 1 ? String(imagesPerClass[0]) : imagesPerClass.map(String.init).joined(separator: ", ")
    }
}
