// The reliability issue's defects, reproduced through the real `petal` executable: bad options fail with a line
// naming the option and never trap, run folders have one writer and are never overwritten silently, SIGTERM stops a
// run resumably with exit 143, and the commands that used to fail or print nothing now work or say why.
import Foundation
import Testing
import Petal
import PetalNN

@Suite(.serialized) struct CLIReliabilityTests {
    static let tiny = ["--width", "4", "--crop", "32", "--batch-size", "4", "--seed", "7", "--threads", "1", "--no-report"]

    @Test func everyBadOptionValueFailsWithOneLineNamingIt() throws {
        let dir = try CLI.tinyDataSet(perClass: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [([String], String)] = [
            (["--zoom=-1"], "--zoom"), (["--zoom", "1"], "--zoom"), (["--zoom", "nan"], "--zoom"),
            (["--random-resized-crop", "0"], "--random-resized-crop"), (["--random-resized-crop", "1.5"], "--random-resized-crop"),
            (["--random-resized-crop", "nan"], "--random-resized-crop"),
            (["--decay-factor", "0.5"], "--decay-factor and --decay-every apply to the step schedule"),
            (["--recipe", "tutorial", "--decay-factor", "nan"], "--decay-factor"),
            (["--width", "5000"], "--width"), (["--width", "0"], "--width"),
            (["--batch-norm-momentum", "0"], "--batch-norm-momentum must be in (0, 1]"), (["--batch-norm-momentum", "nan"], "--batch-norm-momentum"),
            (["--batch-norm-momentum", "1.5"], "--batch-norm-momentum"),
            (["--clip-norm", "-1"], "--clip-norm"), (["--clip-norm", "nan"], "--clip-norm"), (["--clip-norm", "inf"], "--clip-norm"),
            (["--decay-factor", "nan"], "--decay-factor"), (["--decay-factor", "0"], "--decay-factor"), (["--decay-every", "0"], "--decay-every"),
            (["--lr", "0"], "--lr"), (["--lr", "-0.1"], "--lr"), (["--lr", "inf"], "--lr"),
            (["--momentum", "1"], "--momentum"), (["--weight-decay", "-1"], "--weight-decay"),
            (["--validation-fraction", "0"], "--validation-fraction"), (["--validation-fraction", "1"], "--validation-fraction"),
            (["--monitor", "bogus"], "--monitor"), (["--monitor", "val_acc"], "--monitor"),
            (["--early-stopping", "0"], "--early-stopping"), (["--epochs", "0"], "--epochs"), (["--epochs", "-3"], "--epochs"),
            (["--batch-size", "0"], "--batch-size"), (["--crop", "0"], "--crop"), (["--crop", "100000"], "--crop"),
            (["--resize", "50"], "--resize"), (["--resize", "5000"], "--resize"),
            (["--per-class-limit", "0"], "--per-class-limit"), (["--validation-per-class-limit", "0"], "--validation-per-class-limit"),
            (["--cval", "2"], "--cval"), (["--brightness", "1.2,0.8"], "--brightness"), (["--brightness", "0.8"], "--brightness"),
            (["--width-shift", "-1"], "--width-shift"), (["--height-shift", "nan"], "--height-shift"),
            (["--rotation", "nan"], "--rotation"), (["--shift", "-1"], "--shift"), (["--threads", "0"], "--threads"),
            (["--schedule", "linear"], "linear"), (["--optimizer", "rmsprop"], "rmsprop"),
            (["--discriminative-rates", "0"], "--discriminative-rates"), (["--discriminative-rates", "2"], "--discriminative-rates"),
            (["--freeze-epochs", "3", "--epochs", "2"], "--freeze-epochs"),
        ]
        for (arguments, expected) in cases {
            let r = try CLI.run(["train", "data", "--run-dir", "run-bad"] + arguments, in: dir)
            #expect(r.status == 1 || r.status == 64, "\(arguments): exit \(r.status) (a trap is 132/134)")
            // Petal's own checks print one line; ArgumentParser's usage errors (exit 64) add its usage lines after it.
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.first?.contains(expected) == true, "\(arguments): stderr was \(r.stderr)")
            #expect(r.status == 64 || lines.count == 1, "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("run-bad").path), "\(arguments) created the run folder")
        }
    }

    @Test func runFoldersAreNeverMixedOrOverwrittenAndSigtermStopsResumably() throws {
        let dir = try CLI.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Every augmentation knob of Keras' ImageDataGenerator the tutorial names, recorded in config.json.
        let knobs = ["--no-horizontal-flip", "--vertical-flip", "--brightness", "0.8,1.2", "--width-shift", "0.2", "--height-shift", "0.05",
                     "--fill", "constant", "--cval", "0.5"]
        let first = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "1"] + knobs + Self.tiny, in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        struct Saved: Decodable { struct Data: Decodable { var augmentation: AugmentationPolicy }; var data: Data }
        let saved = try JSONDecoder().decode(Saved.self, from: Data(contentsOf: dir.appendingPathComponent("run/config.json"))).data.augmentation
        #expect(saved == AugmentationPolicy(rotationRange: 30, widthShiftRange: 0.2, heightShiftRange: 0.05, zoomRange: 0.8...1.2, shearRange: 10,
                                           horizontalFlip: false, verticalFlip: true, brightnessRange: 0.8...1.2, fillMode: .constant, cval: 0.5))
        let again = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "1"] + Self.tiny, in: dir)
        #expect(again.status == 1 && again.stderr.contains("already holds a run"), "\(again.stderr)")
        let replaced = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "1", "--overwrite", "--recipe", "tutorial"] + Self.tiny, in: dir)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        // --recipe tutorial is the notebook's final run (unclipped); its overfit check compiles Keras' 'SGD' (0.01).
        struct Optimizer: Decodable { struct Settings: Decodable { var clipNorm: Float; var learningRate: Float }; var optimizer: Settings }
        let tutorial = try JSONDecoder().decode(Optimizer.self, from: Data(contentsOf: dir.appendingPathComponent("run/config.json"))).optimizer
        #expect(tutorial.clipNorm == 0 && tutorial.learningRate == 0.1)
        _ = try CLI.run(["overfit", "data", "--recipe", "tutorial", "--images", "2", "--epochs", "1", "--output", "check"] + Self.tiny.dropLast(3), in: dir)
        let overfit = try String(contentsOf: dir.appendingPathComponent("check/overfit.csv"), encoding: .utf8).split(separator: "\n")
        let lr = try #require(overfit.first?.split(separator: ",").firstIndex(of: "lr"))
        #expect(overfit.count == 2 && abs((Double(overfit[1].split(separator: ",")[lr]) ?? 0) - 0.01) < 1e-8, "\(overfit)")
        let missing = try CLI.run(["train", "--resume", "nowhere"], in: dir)
        #expect(missing.status == 1 && missing.stderr.contains("nowhere: no such folder"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("nowhere").path), "--resume created the folder")

        // SIGTERM during the first epoch: exit 143, and the run resumes to the end.
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["train", "data", "--run-dir", "stopped", "--epochs", "120"] + Self.tiny
        p.currentDirectoryURL = dir
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let config = dir.appendingPathComponent("stopped/config.json")
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: config.path) { usleep(50_000) }
        // A second writer is refused while the first holds the folder.
        let second = try CLI.run(["train", "--resume", "stopped"], in: dir)
        #expect(second.status == 1 && second.stderr.contains("another Petal process"), "\(second.stderr)")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 143, "SIGTERM stops the run and exits 143")
        // Settings a resume would ignore are refused, naming them (issue 31, item 12).
        for options in [["--epochs", "5"], ["--lr", "0.1"], ["--lr=0.1"], ["--width", "8"], ["--model", "resnet50"], ["--overwrite"]] {
            let changed = try CLI.run(["train", "--resume", "stopped"] + options, in: dir)
            let option = options[0].split(separator: "=")[0]
            #expect(changed.status == 1 && changed.stderr.contains("\(option) cannot be given with --resume"), "\(options): \(changed.stderr)")
        }
        // A run folder that is, contains or lies inside the data set is refused before it is made (issue 31, items 9, 14).
        for runDir in ["data", "data/daisy/run", "."] {
            let inData = try CLI.run(["train", "data", "--run-dir", runDir, "--epochs", "1"] + Self.tiny, in: dir)
            #expect(inData.status == 1 && inData.stderr.contains("is, contains or lies inside the data set"), "\(runDir): \(inData.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/daisy/run").path))
        // A file where a folder is needed is named before anything is written (issue 31, items 22 and 24).
        try Data("mine".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        for (options, said) in [(["--tensorboard", "notes.txt"], "notes.txt: is a file, not a folder"),
                                (["--run-dir", "notes.txt/run"], "notes.txt is a file, not a folder"),
                                (["--output", "notes.txt"], "notes.txt is a file, not a folder"),
                                (["--name", "../stray"], "name must be one folder name")] {
            let refused = try CLI.run(["train", "data", "--epochs", "1"] + options + Self.tiny, in: dir)
            #expect(refused.status == 1 && refused.stderr.contains(said) && !refused.stderr.contains("NSCocoaErrorDomain"), "\(options): \(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("stray").path))
        let overwriteAlone = try CLI.run(["train", "data", "--overwrite", "--epochs", "1"] + Self.tiny, in: dir)
        #expect(overwriteAlone.status == 1 && overwriteAlone.stderr.contains("--overwrite needs --run-dir"), "\(overwriteAlone.stderr)")
        // An image of the split deleted since the run began is named, with the way on; --skip-missing-files takes it
        // (issue 31, "still open from last round").
        let split = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("stopped/split.json"))) as? [String: Any]
        let gone = try #require((split?["validation"] as? [[String]])?.first?.first)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("data/\(gone)"))
        let blocked = try CLI.run(["train", "--resume", "stopped", "--threads", "1"], in: dir)
        #expect(blocked.status == 1 && blocked.stderr.contains("names \(gone), which is missing or unusable") && blocked.stderr.contains("--skip-missing-files"),
                "\(blocked.stderr)")
        let alone = try CLI.run(["train", "data", "--skip-missing-files", "--epochs", "1"] + Self.tiny, in: dir)
        #expect(alone.status == 1 && alone.stderr.contains("--skip-missing-files applies to --resume"), "\(alone.stderr)")
        let resumed = try CLI.run(["train", "--resume", "stopped", "--threads", "1", "--skip-missing-files"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect((resumed.stdout + resumed.stderr).contains("data/\(gone) of split.json is missing or unusable; going on without it"), "\(resumed.stdout)")
        let rows = try String(contentsOf: dir.appendingPathComponent("stopped/history.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 121 && rows.last?.hasPrefix("120,") == true, "\(rows.count) rows")
    }

    @Test func evaluateAllPredictOnAnEmptyFolderAndPreviewOfAMissingImage() throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "1"] + Self.tiny, in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let all = try CLI.run(["evaluate", "run/best.safetensors", "data", "--all", "--json"], in: dir)
        #expect(all.status == 0, "\(all.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [String: Any])
        #expect(summary["count"] as? Int == 12, "--all evaluates every image")
        // Outside its run folder, on a data set too small for a training batch: every image is evaluated.
        try FileManager.default.copyItem(at: dir.appendingPathComponent("run/best.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
        let outside = try CLI.run(["evaluate", "model.safetensors", "data", "--json"], in: dir)
        #expect(outside.status == 0, "\(outside.stderr)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let empty = try CLI.run(["predict", "run/best.safetensors", "empty"], in: dir)
        #expect(empty.status == 1 && empty.stderr.contains("empty: the folder holds no files"), "\(empty.stderr)")
        let folderAsCheckpoint = try CLI.run(["predict", "run", "data/rose"], in: dir)
        #expect(folderAsCheckpoint.status == 1 && folderAsCheckpoint.stderr.contains("is a folder"), "\(folderAsCheckpoint.stderr)")
        let preview = try CLI.run(["preview", "missing.jpg", "--output", "grids"], in: dir)
        #expect(preview.status == 1 && preview.stderr.contains("missing.jpg"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("grids").path), "preview created its folder before reading the image")
    }

    /// kill -9 at several moments of a run (mid-epoch, mid-write, between files), each followed by --resume: the
    /// history and the final weights equal an uninterrupted run's, bit for bit.
    @Test func killedAndResumedRunsEndAsTheUninterruptedRun() throws {
        let dir = try CLI.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: dir) }
        let arguments = ["train", "data", "--epochs", "25", "--schedule", "cosine", "--momentum", "0.9"] + Self.tiny
        let whole = try CLI.run(arguments + ["--run-dir", "whole"], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        var killed = 0
        for delay in [300_000, 700_000, 1_100_000, 1_500_000] as [useconds_t] {
            let p = Process()
            p.executableURL = CLI.executable
            let exists = FileManager.default.fileExists(atPath: dir.appendingPathComponent("killed/config.json").path)
            p.arguments = exists ? ["train", "--resume", "killed"] : arguments + ["--run-dir", "killed"]
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(delay)
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
        }
        #expect(killed >= 2, "the kills landed while training ran")
        let history = { (run: String) in try String(contentsOf: dir.appendingPathComponent("\(run)/history.csv"), encoding: .utf8) }
        if (try? history("killed").split(separator: "\n").count) != 26 {
            // On a slow machine every kill may land before config.json: then the run starts once more.
            let exists = FileManager.default.fileExists(atPath: dir.appendingPathComponent("killed/config.json").path)
            let last = try CLI.run(exists ? ["train", "--resume", "killed"] : arguments + ["--run-dir", "killed"], in: dir)
            #expect(last.status == 0, "\(last.stderr)")
        }
        #expect(try history("killed") == history("whole"))
        let weights = { (run: String) in try Data(contentsOf: dir.appendingPathComponent("\(run)/last.safetensors")) }
        #expect(try weights("killed") == weights("whole"), "last.safetensors differs")
    }

    /// The data-set scan names a file whose name is not UTF-8 with its bytes escaped (\\xE9), in `inspect`'s report and in
    /// training's warnings, instead of the private-use characters Foundation reads them as (issue 31, item 24).
    @Test func theScanShowsNamesThatAreNotUTF8WithTheirBytes() throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        // "bad\xE9.jpg" in the rose class, holding text: unreadable, named in the report.
        let rawName = Array(dir.appendingPathComponent("data/rose").path.utf8) + Array("/bad".utf8) + [0xE9] + Array(".jpg".utf8) + [0]
        let fd = rawName.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) } }
        #expect(fd >= 0)
        _ = Array("not a photo".utf8).withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        let inspect = try CLI.run(["inspect", "data"], in: dir)
        #expect(inspect.stdout.contains("unreadable: rose/bad\\xE9.jpg"), "\(inspect.stdout)")
        let train = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "1"] + Self.tiny, in: dir)
        #expect(train.status == 0 && (train.stdout + train.stderr).contains("bad\\xE9.jpg: "), "\(train.stdout) \(train.stderr)")
        for output in [inspect.stdout, train.stdout, train.stderr] {
            #expect(!output.unicodeScalars.contains { (0xF780...0xF7FF).contains($0.value) }, "a raw byte shown as a private-use character")
        }
    }

    /// Every entry of a folder gets a row: a name that is not UTF-8 is labelled like any file, and a broken link or a
    /// FIFO gets a row with its reason.
    @Test func predictGivesEveryFileARowAndReadsNamesThatAreNotUTF8() throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "1"] + Self.tiny, in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let photos = dir.appendingPathComponent("photos")
        try FileManager.default.createDirectory(at: photos, withIntermediateDirectories: true)
        let rose = dir.appendingPathComponent("data/rose")
        let source = rose.appendingPathComponent(try FileManager.default.contentsOfDirectory(atPath: rose.path).sorted()[0])
        let bytes = try Data(contentsOf: source)
        // "rosé.jpg" with its é in Latin-1: not UTF-8.
        let rawName = Array(photos.path.utf8) + Array("/ros".utf8) + [0xE9] + Array(".jpg".utf8) + [0]
        let fd = rawName.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) } }
        #expect(fd >= 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
        try FileManager.default.createSymbolicLink(atPath: photos.appendingPathComponent("gone.jpg").path, withDestinationPath: "/nowhere.jpg")
        #expect(mkfifo(photos.appendingPathComponent("pipe.jpg").path, 0o644) == 0)
        let r = try CLI.run(["predict", "run/best.safetensors", "photos", "--json"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try r.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.count == 3, "\(r.stdout)")
        let byName = Dictionary(uniqueKeysWithValues: rows.map { (URL(fileURLWithPath: $0["path"] as! String).lastPathComponent, $0) })
        #expect(byName["ros\\xE9.jpg"]?["label"] != nil, "the Latin-1 name is read and labelled: \(r.stdout)")
        #expect((byName["gone.jpg"]?["error"] as? String)?.contains("broken symbolic link") == true)
        #expect((byName["pipe.jpg"]?["error"] as? String)?.contains("FIFO") == true)
    }

    /// `inspect` always shows what it found, once, even when the data set cannot be trained on; the reason follows.
    @Test func inspectShowsTheScanOfADataSetItCannotTrainOn() throws {
        let dir = try CLI.tinyDataSet(perClass: 5)
        defer { try? FileManager.default.removeItem(at: dir) }
        let daisy = dir.appendingPathComponent("data/daisy")
        for f in try FileManager.default.contentsOfDirectory(atPath: daisy.path).sorted().dropFirst() {
            try FileManager.default.removeItem(at: daisy.appendingPathComponent(f))
        }
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("data/rose/broken.jpg"))
        let r = try CLI.run(["inspect", "data"], in: dir)
        #expect(r.status == 1)
        #expect(r.stdout.components(separatedBy: "Data set ").count == 2, "the summary once: \(r.stdout)")
        #expect(r.stdout.contains("daisy: 1 of 1 files usable") && r.stdout.contains("unreadable: rose/broken.jpg"), "\(r.stdout)")
        #expect(r.stderr.contains("class 'daisy' cannot be trained on: no training images after the split"), "\(r.stderr)")
    }

    @Test func evaluateListsTopLossesAndPredictExplainsWithGradCAM() throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "1"] + Self.tiny, in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let r = try CLI.run(["evaluate", "run/best.safetensors", "data", "--all", "--json", "--top-losses", "3"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let top = try #require(json["topLosses"] as? [[String: Any]])
        #expect(top.count == 3 && (json["evaluation"] as? [String: Any])?["count"] as? Int == 12)
        let losses = top.compactMap { $0["loss"] as? Double }
        #expect(losses == losses.sorted(by: >), "highest loss first: \(losses)")
        let explain = try CLI.run(["predict", "run/best.safetensors", "data/rose", "--explain", "cams", "--html", "page.html"], in: dir)
        let page = try String(contentsOf: dir.appendingPathComponent("page.html"), encoding: .utf8)
        #expect(page.components(separatedBy: "data:image/png;base64,").count - 1 == 6 && page.contains("class=\"gallery\""), "a thumbnail per image")
        #expect(explain.status == 0, "\(explain.stderr)")
        let cams = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("cams").path)
        #expect(cams.count == 6 && cams.allSatisfy { $0.hasSuffix(".gradcam.png") }, "\(cams)")
        #expect(try CLI.run(["evaluate", "run/best.safetensors", "data", "--top-losses", "0"], in: dir).stderr.contains("--top-losses"))
        // The tutorial's ablation limits both sides.
        let limited = try CLI.run(["train", "data", "--run-dir", "limited", "--epochs", "1", "--per-class-limit", "3",
                                   "--validation-per-class-limit", "1"] + Self.tiny, in: dir)
        #expect(limited.status == 0, "\(limited.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("limited/evaluation.json"))) as? [String: Any])
        #expect(summary["count"] as? Int == 2, "one validation image per class")
    }

    /// `--pretrained` starts from torchvision-layout weights (read from PyTorch's own .pth) with a new classifier, and
    /// ImageNet normalisation is recorded in the checkpoint for predict.
    @Test func fineTuningFromAPyTorchCheckpoint() throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pth = CLI.repository.appendingPathComponent("Tests/PetalNNTests/Fixtures/pytorch_resnet18_w4.pth").path
        let r = try CLI.run(["train", "data", "--run-dir", "tuned", "--epochs", "1", "--variant", "v1", "--pretrained", pth,
                             "--imagenet-normalisation", "--width", "4", "--crop", "32", "--batch-size", "4", "--threads", "1", "--no-report"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("the classifier (fc.weight, fc.bias) is new, for 2 classes"), "\(r.stdout)")
        let meta = try #require(try SafeTensors(data: Data(contentsOf: dir.appendingPathComponent("tuned/best.safetensors")), source: "best").metadata["petal"])
        #expect(meta.contains("meanStd") && meta.contains("0.485"), "the checkpoint records ImageNet normalisation")
        let predict = try CLI.run(["predict", "tuned/best.safetensors", "data/rose"], in: dir)
        #expect(predict.status == 0, "\(predict.stderr)")
        let wrong = try CLI.run(["train", "data", "--run-dir", "wrong", "--epochs", "1", "--pretrained", pth] + Self.tiny, in: dir)
        #expect(wrong.status == 1 && wrong.stderr.contains("does not fit the model"), "the pre-activation variant does not fit: \(wrong.stderr)")
        #expect(try CLI.run(["train", "data", "--pretrained", "nothing.pth"], in: dir).stderr.contains("--pretrained nothing.pth"))
    }
}

