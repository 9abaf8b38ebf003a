// A run as a library: the files it writes, resume equal to an uninterrupted run, and one writer per folder.
import Foundation
import PetalTestSupport
import Testing
@testable import PetalFiles
@testable import PetalRun

@Suite(.serialized) struct TrainingRunTests {
    @Test func aSmallRunWritesEveryFileOfTheRunFolder() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"))
        let folder = try RunFolder.create(at: root.appendingPathComponent("run"))
        let result = try TrainingRun(configuration: configuration, folder: folder).run(log: { _ in })
        #expect(result.history.count == 2 && result.stopReason == nil && result.stopCode == nil)
        for file in [RunFiles.configuration, RunFiles.split, RunFiles.scan, RunFiles.history, RunFiles.best, RunFiles.last,
                     RunFiles.trainingState, RunFiles.evaluation, RunFiles.report, "samples.png", "augmentations.png"] {
            #expect(folder.contains(file), "missing \(file)")
        }
        var saved = try folder.readJSON(RunConfiguration.self, from: RunFiles.configuration)
        #expect(saved.runID?.count == 36, "a new run draws its identity")
        saved.runID = nil
        #expect(saved == configuration, "config.json round-trips")
        let history = try String(contentsOf: folder.file(RunFiles.history), encoding: .utf8).split(separator: "\n")
        #expect(history.count == 3)
        #expect(history[0] == "epoch,loss,accuracy,val_loss,val_accuracy,val_auc,lr")
        let rate = try #require(Double(history[2].split(separator: ",").last ?? ""))
        #expect(history[2].hasPrefix("2,") && abs(rate - 0.025) < 1e-9, "the step schedule halves the rate: \(history[2])")
        let evaluation = try folder.readJSON(EvaluationSummary.self, from: RunFiles.evaluation)
        #expect(evaluation.count == 4 && evaluation.classes == ["daisy", "rose"], "2 of 8 images per class validate")
        #expect(evaluation.confusionMatrix.joined().reduce(0, +) == 4)
        // The best checkpoint is the epoch with the highest val_auc, and evaluating it again gives the same figures.
        let trained = try TrainedModel(checkpoint: folder.file(RunFiles.best))
        let again = try trained.evaluate(on: configuration.dataDirectory)
        #expect(again.auc == evaluation.auc && again.accuracy == evaluation.accuracy && again.count == 4)
        let all = try trained.evaluate(on: configuration.dataDirectory, allImages: true)
        #expect(all.count == 16, "--all evaluates every image")
        // The augmentation picture pairs each training crop with its augmented copy as epoch 0 drew it.
        let prepared = try DataPipeline.prepare(root: configuration.dataDirectory, config: configuration.data,
                                                splitFile: folder.file(RunFiles.split), log: { _ in })
        let grid = try Image<UInt8>(contentsOf: folder.file("augmentations.png"))
        func tile(_ k: Int) throws -> Image<UInt8> { try grid.cropped(y: 4, x: 4 + k * 36, height: 32, width: 32) }
        func rendered(_ image: Image<Float>) throws -> Image<UInt8> { var g = ImageGrid(columns: 1, spacing: 0); g.add(image); return try g.render() }
        #expect(try tile(0).pixels == rendered(prepared.train.preview(sample: 0, epoch: 0, copy: 0)).pixels, "left: the crop")
        #expect(try tile(1).pixels == rendered(prepared.train.preview(sample: 0, epoch: 0, copy: 1)).pixels, "right: its augmented copy")
        #expect(try tile(0).pixels != tile(1).pixels)

        let report = try String(contentsOf: folder.file(RunFiles.report), encoding: .utf8)
        for file in ["prediction-0.png", "gradcam-0.png", "top-loss-0.png", "flips.png", "top-losses.json"] {
            #expect(folder.contains(file), "missing \(file)")
        }
        let top = try folder.readJSON([ReportInputs.Shown].self, from: "top-losses.json")
        #expect(top.count == 4 && zip(top, top.dropFirst()).allSatisfy { $0.loss! >= $1.loss! }, "every validation image, highest loss first")
        for section in ["Loss", "ROC AUC", "Confusion matrix", "Augmentation as training draws it", "Predictions", "resnet18 (preact, width 4",
                        "Highest losses", "Where the network looked", "class=\"gallery\"", "class=\"panel-label\"",
                        "rotation ±30°, shift ±0.1, zoom 0.8–1.2, flips left ↔ right, fill nearest, augmented copy appended"] {
            #expect(report.contains(section), "the report lacks \(section)")
        }
    }

    /// A run without augmentation shows no augmentation picture: nothing in the report may show what training never did.
    @Test func aRunWithoutAugmentationShowsNoAugmentationPicture() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 1)
        (configuration.data.augmentation, configuration.data.appendAugmentedCopy) = (nil, false)
        let folder = try RunFolder.create(at: root.appendingPathComponent("run"))
        _ = try TrainingRun(configuration: configuration, folder: folder).run(log: { _ in })
        let report = try String(contentsOf: folder.file(RunFiles.report), encoding: .utf8)
        #expect(!folder.contains("augmentations.png") && folder.contains("affine.png"))
        #expect(!report.contains("Augmentation as training draws it") && report.contains("<td>off</td>"))
    }

    /// Stopped mid-epoch (as Ctrl-C or SIGTERM do), then resumed: history, best and last weights equal the uninterrupted
    /// run's bit for bit, for a per-step schedule and SGD with momentum, and for an EfficientNet, whose dropout and
    /// stochastic depth draw masks in training (they restart per epoch, so the rerun epoch draws them again), and for a
    /// ConvNeXt with AdamW.
    @Test(arguments: [(SchedulePolicy.cosine, OptimizerKind.sgd, ModelSettings.Architecture.resnet), (.stepDecay(factor: 0.5, every: 1), .sgd, .resnet),
                      (.oneCycle, .adamw, .resnet), (.cosine, .sgd, .efficientNetB0), (.cosine, .adamw, .convNeXtTiny)])
    func resumeAfterAStopEqualsTheUninterruptedRun(schedule: SchedulePolicy, optimizer: OptimizerKind, model: ModelSettings.Architecture) throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 3, schedule: schedule)
        (configuration.model.architecture, configuration.model.widthMultiplier) = (model, 0.25)
        configuration.optimizer.kind = optimizer
        if optimizer != .sgd { (configuration.optimizer.momentum, configuration.optimizer.learningRate) = (0, 0.003) }
        let whole = try RunFolder.create(at: root.appendingPathComponent("whole"))
        _ = try TrainingRun(configuration: configuration, folder: whole).run(writeReport: false, log: { _ in })

        let cutURL = root.appendingPathComponent("cut")
        let stop = StopSignal()
        var first: RunFolder? = try RunFolder.create(at: cutURL)
        let stopped = try TrainingRun(configuration: configuration, folder: first!)
            .run(callbacks: [RunFixtures.StopAt(epoch: 1, batch: 1, signal: stop)], stop: stop, writeReport: false, log: { _ in })
        #expect(stopped.stopCode == 2 && stopped.history.count == 1, "stopped during the second epoch")
        // Said in words a person knows, not "stop requested (2)" (issue 31, item 24).
        #expect(stopped.stopReason == "interrupted by Ctrl-C", "\(stopped.stopReason ?? "nil")")
        #expect([SIGTERM, SIGHUP, 40].map(StopSignal.describe) == ["SIGTERM", "SIGHUP", "a stop request (code 40)"])
        first = nil  // releases the folder's lock
        let resumed = try TrainingRun(resuming: try RunFolder.open(cutURL)).run(writeReport: false, log: { _ in })
        #expect(resumed.history.count == 3 && resumed.stopCode == nil)

        let cut = try RunFolder.open(cutURL)
        #expect(try String(contentsOf: cut.file(RunFiles.history), encoding: .utf8) == String(contentsOf: whole.file(RunFiles.history), encoding: .utf8))
        for file in [RunFiles.best, RunFiles.last] {
            let (a, b) = (try SafeTensors(data: Data(contentsOf: whole.file(file)), source: file), try SafeTensors(data: Data(contentsOf: cut.file(file)), source: file))
            #expect(a.tensors.map(\.name) == b.tensors.map(\.name))
            for (x, y) in zip(a.tensors, b.tensors) { #expect(x.tensor.scalars == y.tensor.scalars, "\(file): \(x.name) differs") }
        }
        #expect(try cut.readJSON(EvaluationSummary.self, from: RunFiles.evaluation).auc == whole.readJSON(EvaluationSummary.self, from: RunFiles.evaluation).auc)
    }

    @Test func aLostHistoryRowIsRecoveredAndAFinishedRunCannotResume() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("run")
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 2)
        // A run with threads of its own computes on a device of its own and leaves the process's default alone.
        let threads = Device.default.threads == 1 ? 2 : 1, before = Device.default.threads
        configuration.threads = threads
        let lines = LogLines()
        do { _ = try TrainingRun(configuration: configuration, folder: try RunFolder.create(at: url)).run(writeReport: false, log: lines.append) }
        #expect(lines.lines.contains { $0.hasPrefix("Training ") && $0.hasSuffix(" \(threads) threads") }, "\(lines.lines)")
        #expect(Device.default.threads == before)
        let complete = try String(contentsOf: url.appendingPathComponent(RunFiles.history), encoding: .utf8)
        // A kill after the training state but before history.csv: the row is lost from the file, not from the run.
        try Data(complete.split(separator: "\n").prefix(2).joined(separator: "\n").utf8).write(to: url.appendingPathComponent(RunFiles.history))
        #expect(throws: RunError.cannotResume(path: url.path, reason: "it already finished its 2 epochs and was evaluated (petal report rebuilds its evaluation and report)")) {
            try TrainingRun(resuming: try RunFolder.open(url)).run(writeReport: false, log: { _ in })
        }
        // Raise the epochs in the saved configuration, as a user continuing a finished run would.
        configuration.epochs = 3
        try AtomicFile.write(try RunJSON.encode(configuration), to: url.appendingPathComponent(RunFiles.configuration))
        let result = try TrainingRun(resuming: try RunFolder.open(url)).run(writeReport: false, log: { _ in })
        #expect(result.history.count == 3)
        let rows = try String(contentsOf: url.appendingPathComponent(RunFiles.history), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 4 && rows.prefix(3).joined(separator: "\n") == complete.split(separator: "\n").joined(separator: "\n"))
    }

    /// Issue 31, item 8: a run cut after its last epoch (a stop request while the report is written, a kill or a full
    /// disk before evaluation.json or report.html) finishes on resume without training again; `petal report`'s
    /// ``TrainingRun/writeReport(log:)`` rebuilds both.
    @Test func aRunCutAfterItsLastEpochFinishesOnResume() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("run")
        let configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 2)
        // Ctrl-C arrives as training ends: the evaluation is written, the report is not.
        final class StopAtEnd: Callback {
            let signal: StopSignal
            init(_ signal: StopSignal) { self.signal = signal }
            func trainEnd(_ state: TrainingState) throws { signal.request(code: 15) }
        }
        let stop = StopSignal()
        var first: RunFolder? = try RunFolder.create(at: url)
        let cut = try TrainingRun(configuration: configuration, folder: first!).run(callbacks: [StopAtEnd(stop)], stop: stop, log: { _ in })
        #expect(cut.stopCode == 15 && cut.finishingCut && cut.history.count == 2)
        first = nil
        let history = try Data(contentsOf: url.appendingPathComponent(RunFiles.history))
        let evaluation = try Data(contentsOf: url.appendingPathComponent(RunFiles.evaluation))
        #expect(!FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.report).path))

        let lines = LogLines()
        let finished = try TrainingRun(resuming: try RunFolder.open(url)).run(log: lines.append)
        #expect(finished.stopCode == nil && !finished.finishingCut && finished.history.count == 2)
        #expect(lines.lines.contains { $0.contains("already finished its 2 epochs; writing its evaluation and report") }, "\(lines.lines)")
        #expect(!lines.lines.contains { $0.hasPrefix("Training ") || $0.hasPrefix("Resuming ") }, "a finished run was trained again: \(lines.lines)")
        #expect(try Data(contentsOf: url.appendingPathComponent(RunFiles.history)) == history)
        #expect(try Data(contentsOf: url.appendingPathComponent(RunFiles.evaluation)) == evaluation)
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.report).path))
        #expect(throws: RunError.cannotResume(path: url.path, reason: "it already finished its 2 epochs and was evaluated (petal report rebuilds its evaluation and report)")) {
            try TrainingRun(resuming: try RunFolder.open(url)).run(log: { _ in })
        }

        // A kill before evaluation.json: resumed the same way; then the report alone, rebuilt.
        try FileManager.default.removeItem(at: url.appendingPathComponent(RunFiles.evaluation))
        _ = try TrainingRun(resuming: try RunFolder.open(url)).run(writeReport: false, log: { _ in })
        #expect(try Data(contentsOf: url.appendingPathComponent(RunFiles.evaluation)) == evaluation)
        try FileManager.default.removeItem(at: url.appendingPathComponent(RunFiles.report))
        let summary = try TrainingRun(resuming: try RunFolder.open(url)).writeReport(log: { _ in })
        #expect(summary?.auc == (try JSONDecoder().decode(EvaluationSummary.self, from: evaluation)).auc)
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.report).path))
    }

    /// Issue 31, item 8: a run that stopped early and was killed before its evaluation (the files a kill right after
    /// early stopping leaves) finishes on resume without training again, and says why training ended.
    @Test func aRunKilledAfterEarlyStoppingFinishesOnResume() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("run")
        // val_loss, scripted to rise every epoch, never improves after the first: patience 1 stops the 5-epoch run
        // after its second (the run's own EarlyStopping decides; the script only fixes the values it sees).
        final class RisingValidationLoss: Callback {
            func epochEnd(_ state: TrainingState, logs: inout Logs) throws { logs["val_loss"] = 0.5 + 0.1 * Double(state.epoch) }
        }
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 5)
        (configuration.monitor, configuration.earlyStoppingPatience) = ("val_loss", 1)
        let whole = try TrainingRun(configuration: configuration, folder: try RunFolder.create(at: url)).run(callbacks: [RisingValidationLoss()], log: { _ in })
        let reason = try #require(whole.stopReason, "the run did not stop early")
        #expect(whole.history.count == 2)
        let evaluation = try Data(contentsOf: url.appendingPathComponent(RunFiles.evaluation))
        let history = try Data(contentsOf: url.appendingPathComponent(RunFiles.history))
        for file in [RunFiles.evaluation, RunFiles.report] { try FileManager.default.removeItem(at: url.appendingPathComponent(file)) }

        let lines = LogLines()
        let finished = try TrainingRun(resuming: try RunFolder.open(url)).run(log: lines.append)
        #expect(finished.stopReason == reason && finished.history.count == 2 && finished.stopCode == nil)
        #expect(lines.lines.contains { $0.contains("already ended (\(reason)); writing its evaluation and report") }, "\(lines.lines)")
        #expect(!lines.lines.contains { $0.hasPrefix("Training ") || $0.hasPrefix("Resuming ") }, "a stopped run was trained again: \(lines.lines)")
        #expect(try Data(contentsOf: url.appendingPathComponent(RunFiles.evaluation)) == evaluation)
        #expect(try Data(contentsOf: url.appendingPathComponent(RunFiles.history)) == history)
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.report).path))
    }

    /// Issue 31, item 21: a full disk while the report is written fails naming report.html and the system's reason
    /// (not "the folder is not writable"), leaves no temporary file, and the run then finishes on resume (item 8).
    @Test func aFullDiskDuringTheReportIsNamedAndTheRunFinishesOnResume() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("run")
        let configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 1)
        _ = try TrainingRun(configuration: configuration, folder: try RunFolder.create(at: url)).run(writeReport: false, log: { _ in })
        try FileManager.default.removeItem(at: url.appendingPathComponent(RunFiles.evaluation))
        // evaluation.json fits in 20 kB, the report's pictures and page do not.
        do {
            try AtomicFile.$failAfterBytesForTesting.withValue(20_000) {
                _ = try TrainingRun(resuming: try RunFolder.open(url)).run(log: { _ in })
            }
            Issue.record("the report was written past the disk's end")
        } catch ReportError.cannotWrite(let path, let reason) {
            #expect(path == url.appendingPathComponent(RunFiles.report).path && reason.contains("write failed"), "\(reason)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
        #expect(!names.contains { $0.contains(".tmp") } && !names.contains(RunFiles.report), "\(names)")
        #expect(names.contains(RunFiles.evaluation))
        _ = try TrainingRun(resuming: try RunFolder.open(url)).run(log: { _ in })
        #expect(FileManager.default.fileExists(atPath: url.appendingPathComponent(RunFiles.report).path))
    }

    /// Issue 31, item 15: a training state copied from another run of the same settings is refused, naming both runs,
    /// and the folder's own files are left as they were.
    @Test func aTrainingStateFromAnotherRunIsRefused() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 3)
        var urls: [URL] = []
        for (name, epoch) in [("mine", 1), ("other", 2)] {
            let url = root.appendingPathComponent(name), stop = StopSignal()
            _ = try TrainingRun(configuration: configuration, folder: try RunFolder.create(at: url))
                .run(callbacks: [RunFixtures.StopAt(epoch: epoch, batch: 1, signal: stop)], stop: stop, writeReport: false, log: { _ in })
            urls.append(url)
        }
        let (mine, other) = (urls[0], urls[1])
        let ids = try urls.map { try RunJSON.decode(RunConfiguration.self, from: Data(contentsOf: $0.appendingPathComponent(RunFiles.configuration))).runID! }
        #expect(ids[0] != ids[1])
        let history = try Data(contentsOf: mine.appendingPathComponent(RunFiles.history))
        try FileManager.default.removeItem(at: mine.appendingPathComponent(RunFiles.trainingState))
        try FileManager.default.copyItem(at: other.appendingPathComponent(RunFiles.trainingState), to: mine.appendingPathComponent(RunFiles.trainingState))
        #expect(throws: RunError.cannotResume(path: mine.path, reason: "\(RunFiles.trainingState) belongs to another run (run \(ids[1])), not to this folder's run \(ids[0]); put back its own or start a new run")) {
            try TrainingRun(resuming: try RunFolder.open(mine)).run(writeReport: false, log: { _ in })
        }
        #expect(try Data(contentsOf: mine.appendingPathComponent(RunFiles.history)) == history)
        // Its own state resumes.
        try FileManager.default.removeItem(at: other.appendingPathComponent(RunFiles.trainingState))
        try FileManager.default.moveItem(at: mine.appendingPathComponent(RunFiles.trainingState), to: other.appendingPathComponent(RunFiles.trainingState))
        #expect(try TrainingRun(resuming: try RunFolder.open(other)).run(writeReport: false, log: { _ in }).history.count == 3)
    }

    @Test func aRunWhoseTrainingStateWasRemovedIsNotRestartedOverItsFiles() throws {
        let root = try RunFixtures.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("run")
        var configuration = RunFixtures.configuration(data: root.appendingPathComponent("data"), epochs: 1)
        configuration.epochs = 1
        do { _ = try TrainingRun(configuration: configuration, folder: try RunFolder.create(at: url)).run(writeReport: false, log: { _ in }) }
        try FileManager.default.removeItem(at: url.appendingPathComponent(RunFiles.trainingState))
        configuration.epochs = 2
        try AtomicFile.write(try RunJSON.encode(configuration), to: url.appendingPathComponent(RunFiles.configuration))
        let best = try Data(contentsOf: url.appendingPathComponent(RunFiles.best))
        #expect(throws: RunError.cannotResume(path: url.path, reason: "training-state.safetensors is missing though 1 epoch is recorded; start a new run")) {
            try TrainingRun(resuming: try RunFolder.open(url)).run(log: { _ in })
        }
        #expect(try Data(contentsOf: url.appendingPathComponent(RunFiles.best)) == best, "best.safetensors untouched")
    }
}
