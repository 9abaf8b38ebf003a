// Data-parallel training under `mpirun -np 2` on this machine: the collectives on known arrays, equivalence of two
// ranks with one process on the same global batches, a CLI run on the bundled flowers whose gathered AUC is the one a
// single process computes from the saved checkpoint, a killed rank, and resuming with another number of ranks.
import Foundation
import Petal
import Synchronization
import Testing

enum MPI {
    static let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Invocation { let status: Int32; let output: String }

    static var mpirun: String {
        get throws {
            let path = "/usr/bin/mpirun"
            try #require(FileManager.default.isExecutableFile(atPath: path), "Open MPI is missing: run `make deps` (Debian packages openmpi-bin, libopenmpi-dev)")
            return path
        }
    }

    /// Starts `program arguments` on `ranks` ranks (or alone when `ranks` is nil), output merged.
    static func start(_ program: String, _ arguments: [String], ranks: Int?) throws -> (Process, Pipe) {
        let p = Process(), pipe = Pipe()
        let binary = binaries.appendingPathComponent(program).path
        if let ranks {
            p.executableURL = URL(fileURLWithPath: try mpirun)
            p.arguments = ["--allow-run-as-root", "--oversubscribe", "-np", String(ranks), binary] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_WAIT_POLICY"] = "passive"
        p.environment = environment
        p.currentDirectoryURL = repository
        (p.standardOutput, p.standardError) = (pipe, pipe)
        try p.run()
        return (p, pipe)
    }

    /// Runs to the end; a job still running after `timeout` seconds (a hang) is killed and reported as status −1.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], ranks: Int?, timeout: Double = 300) throws -> Invocation {
        let (p, pipe) = try start(program, arguments, ranks: ranks)
        let hung = Atomic<Bool>(false)
        let watchdog = DispatchWorkItem {
            guard p.isRunning else { return }
            hung.store(true, ordering: .relaxed)
            kill(p.processIdentifier, SIGKILL)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        watchdog.cancel()
        return Invocation(status: hung.load(ordering: .relaxed) ? -1 : p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("petal-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The epochs recorded in a run folder's history.csv.
    static func historyRows(_ run: URL) -> [[String: Double]] {
        guard let text = try? String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8) else { return [] }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        guard let header = lines.first else { return [] }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.map { Double($0) ?? .nan })) }
    }
}

@Suite(.serialized) struct DistributedTests {
    @Test func collectivesGiveKnownResultsOnTwoRanks() throws {
        let r = try MPI.run("PetalMPIScenarios", ["collectives"], ranks: 2)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("collectives ok on rank 0 of 2") && r.output.contains("collectives ok on rank 1 of 2"), "\(r.output)")
    }

    /// The final weights of the scenario's tiny CNN trained alone and on two ranks (global batch 7: parts of 4 and 3).
    func weights(batchNorm: String) throws -> (single: SafeTensors, distributed: SafeTensors) {
        let folder = try MPI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [SafeTensors] = []
        for ranks in [nil, 2] as [Int?] {
            let out = folder.appendingPathComponent("\(ranks ?? 1).safetensors")
            let r = try MPI.run("PetalMPIScenarios", ["train", "--batch-norm", batchNorm, "--out", out.path], ranks: ranks)
            try #require(r.status == 0, "\(r.output)")
            files.append(try SafeTensors(data: Data(contentsOf: out), source: out.path))
        }
        return (files[0], files[1])
    }

    func largestDifference(_ a: SafeTensors, _ b: SafeTensors) throws -> Float {
        var largest: Float = 0
        for (name, t) in a.tensors {
            let other = try #require(b.tensors.first { $0.name == name }?.tensor, "\(name) is missing")
            largest = max(largest, zip(t.scalars, other.scalars).map { abs($0 - $1) }.max() ?? 0)
        }
        return largest
    }

    @Test func twoRanksWithoutBatchNormMatchOneProcess() throws {
        let (single, distributed) = try weights(batchNorm: "none")
        #expect(try largestDifference(single, distributed) <= 1e-5)
        // The gathered validation is the whole set's: the same AUC and (up to rounding) loss.
        #expect(single.metadata["val_auc"] == distributed.metadata["val_auc"])
        let loss = (Double(single.metadata["val_loss"] ?? "") ?? .nan, Double(distributed.metadata["val_loss"] ?? "") ?? .nan)
        #expect(abs(loss.0 - loss.1) < 1e-6)
    }

    @Test func synchronizedBatchNormMatchesOneProcessAndPerRankStatisticsDoNot() throws {
        let (single, synchronized) = try weights(batchNorm: "sync")
        #expect(try largestDifference(single, synchronized) <= 1e-5)
        // Each rank normalising its own part is a different computation (DDP's default): the check above can fail.
        let (alone, perRank) = try weights(batchNorm: "local")
        #expect(try largestDifference(alone, perRank) > 1e-3)
    }

    static let flowerRun = ["Data/flowers-mini", "--per-class-limit", "40", "--validation-per-class-limit", "20", "--crop", "64", "--width", "8", "--no-report"]

    @Test func twoRankRunWritesTheRunFolderAndItsAUCIsTheCheckpointsAUC() throws {
        let folder = try MPI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run"), single = folder.appendingPathComponent("single")
        let r = try MPI.run("petal", ["train"] + Self.flowerRun + ["--epochs", "4", "--run-dir", run.path], ranks: 2)
        try #require(r.status == 0, "\(r.output)")
        #expect(r.output.contains("2 ranks × 1 threads, global batch 32"), "\(r.output)")
        for file in ["config.json", "split.json", "scan.json", "history.csv", "best.safetensors", "last.safetensors", "training-state.safetensors", "evaluation.json"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "\(file) is missing")
        }
        let rows = MPI.historyRows(run)
        try #require(rows.count == 4)
        // The best epoch's gathered AUC is what one process computes from best.safetensors on the validation split.
        let best = try #require(rows.max { ($0["val_auc"] ?? 0) < ($1["val_auc"] ?? 0) })
        let evaluation = try JSONDecoder().decode(EvaluationSummary.self, from: Data(contentsOf: run.appendingPathComponent("evaluation.json")))
        let auc = try #require(evaluation.auc)
        #expect(abs(auc - (best["val_auc"] ?? .nan)) < 1e-12)
        #expect(evaluation.count == 40)
        // It learns as one process does: a single-process run of the same recipe ends at a comparable loss and AUC.
        let alone = try MPI.run("petal", ["train"] + Self.flowerRun + ["--epochs", "4", "--threads", "1", "--run-dir", single.path], ranks: nil)
        try #require(alone.status == 0, "\(alone.output)")
        let singleRows = MPI.historyRows(single)
        #expect(rows[3]["loss"]! < rows[0]["loss"]!)
        #expect(abs(rows[3]["loss"]! - singleRows[3]["loss"]!) < 0.1)
        #expect(rows[3]["val_auc"]! > 0.6 && singleRows[3]["val_auc"]! > 0.6)
    }

    /// Other families than ResNet train on two ranks the same way (issue 28, item 4): MobileNetV3 (batch norms,
    /// squeeze-and-excitation, dropout) and ViT (layer norms, attention). The best epoch's AUC, gathered from both
    /// ranks' shares during training, is what one process computes from the saved checkpoint, so the ranks held one model.
    @Test(arguments: ["mobilenet_v3_small", "vit_b_32"])
    func aZooFamilyTrainsOnTwoRanks(model: String) throws {
        let folder = try MPI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let options = ["Data/flowers-mini", "--per-class-limit", "24", "--validation-per-class-limit", "12", "--crop", "32", "--model", model,
                       "--width-multiplier", "0.25", "--batch-size", "8", "--epochs", "2", "--no-report", "--run-dir", run.path]
        let r = try MPI.run("petal", ["train"] + options, ranks: 2)
        try #require(r.status == 0, "\(r.output)")
        #expect(r.output.contains("2 ranks × 1 threads, global batch 8"), "\(r.output)")
        let rows = MPI.historyRows(run)
        try #require(rows.count == 2 && rows.allSatisfy { $0["loss"]!.isFinite }, "\(rows)")
        let best = try #require(rows.max { ($0["val_auc"] ?? 0) < ($1["val_auc"] ?? 0) })
        let evaluation = try JSONDecoder().decode(EvaluationSummary.self, from: Data(contentsOf: run.appendingPathComponent("evaluation.json")))
        #expect(abs((try #require(evaluation.auc)) - (best["val_auc"] ?? .nan)) < 1e-12)
        #expect(evaluation.count == 24)
    }

    @Test func killedRankEndsTheJobAndTheRunResumesWithAnotherRankCount() throws {
        let folder = try MPI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let (job, pipe) = try MPI.start("petal", ["train"] + Self.flowerRun + ["--epochs", "12", "--run-dir", run.path], ranks: 2)
        Self.waitForFirstEpoch(of: run, job)  // then kill rank 1
        let worker = try #require(Self.process(rank: 1, mentioning: run.path), "rank 1 was not found")
        kill(worker, SIGKILL)
        let killed = Date()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        job.waitUntilExit()
        #expect(Date().timeIntervalSince(killed) < 30, "the job took \(Date().timeIntervalSince(killed)) s to end")
        #expect(job.terminationStatus != 0)
        #expect(output.contains("rank 1"), "\(output)")
        let saved = MPI.historyRows(run).count
        try #require(saved >= 1 && saved < 12, "\(saved) epochs saved")

        // The unit left behind loads: the run resumes, on one process, and finishes every epoch.
        let resumed = try MPI.run("petal", ["train", "--resume", run.path], ranks: nil)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("Resuming \(run.path) at epoch \(saved + 1) of 12"), "\(resumed.output)")
        #expect(MPI.historyRows(run).count == 12)
    }

    /// Ctrl-C under mpirun ends every rank at once; rank 0 first says how to resume (issue 31, item 24).
    @Test func ctrlCUnderMpirunSaysHowToResume() throws {
        let folder = try MPI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let (job, pipe) = try MPI.start("petal", ["train"] + Self.flowerRun + ["--epochs", "30", "--run-dir", run.path], ranks: 2)
        Self.waitForFirstEpoch(of: run, job)
        // Ctrl-C in a terminal sends SIGINT to its whole foreground process group, the ranks included. (Sent to mpirun
        // alone it would not arrive here: Foundation's Process starts mpirun with the signal blocked.)
        for rank in [0, 1] { kill(try #require(Self.process(rank: rank, mentioning: run.path), "rank \(rank) was not found"), SIGINT) }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        job.waitUntilExit()
        #expect(output.contains("Stopped; the last completed epoch is kept and the cut one reruns on resume: mpirun -np 2 petal train --resume \(run.path)"), "\(output)")
        #expect(MPI.historyRows(run).count >= 1)
    }

    @Test func anErrorOnOneRankEndsTheJob() throws {
        let folder = try MPI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        try #require(try MPI.run("petal", ["train"] + Self.flowerRun + ["--epochs", "1", "--run-dir", run.path], ranks: nil).status == 0)
        // Rank 0 refuses the folder, which holds a run, while rank 1 waits for it: the job must end, not hang.
        let r = try MPI.run("petal", ["train"] + Self.flowerRun + ["--epochs", "1", "--run-dir", run.path], ranks: 2, timeout: 60)
        #expect(r.status != 0 && r.status != -1, "status \(r.status): \(r.output)")
        #expect(r.output.contains("petal: error: run folder \(run.path): already holds a run"), "\(r.output)")
    }

    @Test func aStoppedSingleProcessRunResumesOnTwoRanks() throws {
        let folder = try MPI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run")
        let (job, pipe) = try MPI.start("petal", ["train"] + Self.flowerRun + ["--epochs", "12", "--run-dir", run.path], ranks: nil)
        Self.waitForFirstEpoch(of: run, job)
        job.terminate()  // SIGTERM: a graceful stop after the current batch
        _ = pipe.fileHandleForReading.readDataToEndOfFile()
        job.waitUntilExit()
        #expect(job.terminationStatus == 128 + SIGTERM)
        let saved = MPI.historyRows(run).count
        try #require(saved >= 1 && saved < 12, "\(saved) epochs saved")
        let resumed = try MPI.run("petal", ["train", "--resume", run.path], ranks: 2)
        #expect(resumed.status == 0, "\(resumed.output)")
        #expect(resumed.output.contains("Resuming \(run.path) at epoch \(saved + 1) of 12"), "\(resumed.output)")
        #expect(MPI.historyRows(run).count == 12)
    }

    static func waitForFirstEpoch(of run: URL, _ job: Process) {
        let deadline = Date().addingTimeInterval(120)
        while MPI.historyRows(run).isEmpty && job.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// The process started by mpirun as `rank` whose command line mentions `text`.
    static func process(rank: Int, mentioning text: String) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ"),
                  let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let command = String(decoding: cmdline.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") && command.contains(text) && !command.contains("mpirun") { return pid }
        }
        return nil
    }
}
