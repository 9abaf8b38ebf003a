// Runs the real `petal` executable on a tiny data set with a tiny model.
import Foundation
import Testing
import Petal

/// The result of one `petal` invocation.
struct Invocation {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum CLI {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("petal")
    }

    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    @discardableResult
    static func run(_ arguments: [String], in directory: URL) throws -> Invocation {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["OMP_WAIT_POLICY"] = "passive"
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes while the process runs, so a chatty child cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let read = DispatchSemaphore(value: 0)  // orders the reader's write before the read below (ThreadSanitizer)
        let reader = Thread {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            read.signal()
        }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        read.wait()
        return Invocation(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A class folder with the first `perClass` demo photos of daisy and rose, in a fresh temporary folder.
    static func tinyDataSet(perClass: Int) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petal-cli-\(UUID().uuidString)")
        let fm = FileManager.default
        for cls in ["daisy", "rose"] {
            let source = repository.appendingPathComponent("Data/flowers-mini/\(cls)")
            let target = root.appendingPathComponent("data/\(cls)")
            try fm.createDirectory(at: target, withIntermediateDirectories: true)
            for f in try fm.contentsOfDirectory(atPath: source.path).sorted().prefix(perClass) {
                try fm.copyItem(at: source.appendingPathComponent(f), to: target.appendingPathComponent(f))
            }
        }
        return root
    }
}

@Suite(.serialized) struct CLITests {
    static let tiny = ["--model", "resnet18", "--width", "4", "--crop", "64", "--batch-size", "4", "--seed", "7"]

    @Test func trainWritesTheRunFolderAndEvaluatePredictAgree() throws {
        let dir = try CLI.tinyDataSet(perClass: 10)
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try CLI.run(["train", "data", "--epochs", "2", "--output", "runs", "--name", "tiny"] + CLITests.tiny, in: dir)
        #expect(train.status == 0, "train failed: \(train.stderr)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("runs").path)
        let run = dir.appendingPathComponent("runs").appendingPathComponent(try #require(runs.first { $0.hasSuffix("-tiny") }))
        for file in ["config.json", "split.json", "scan.json", "history.csv", "best.safetensors", "last.safetensors",
                     "training-state.safetensors", "evaluation.json", "report.html"] {
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "missing \(file)")
        }
        #expect(train.stdout.contains("Run folder: \(run.path)") || train.stdout.contains("Run folder: "))
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("config.json"))) as? [String: Any])
        #expect((config["model"] as? [String: Any])?["convolution"] as? String == "auto", "config.json records the convolution algorithm")

        let history = try String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8).split(separator: "\n")
        #expect(history.count == 3)
        #expect(history[0] == "epoch,loss,accuracy,val_loss,val_accuracy,val_auc,lr")

        let evaluation = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json"))) as? [String: Any])
        let evaluate = try CLI.run(["evaluate", run.appendingPathComponent("best.safetensors").path, "data", "--json"], in: dir)
        #expect(evaluate.status == 0, "evaluate failed: \(evaluate.stderr)")
        let again = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        #expect(again["count"] as? Int == 4, "the run's validation split: 2 of 10 images per class")
        #expect((again["accuracy"] as? Double) == (evaluation["accuracy"] as? Double))
        #expect((again["auc"] as? Double) == (evaluation["auc"] as? Double))
        #expect((again["confusionMatrix"] as? [[Int]]) == (evaluation["confusionMatrix"] as? [[Int]]))

        let predict = try CLI.run(["predict", run.appendingPathComponent("best.safetensors").path, "data/rose", "--json"], in: dir)
        #expect(predict.status == 0, "predict failed: \(predict.stderr)")
        let rows = try predict.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.count == 10)
        for row in rows {
            let p = try #require(row["probabilities"] as? [String: Double])
            #expect(Set(p.keys) == ["daisy", "rose"] && abs(p.values.reduce(0, +) - 1) < 1e-5)
            #expect(row["label"] as? String == (p["daisy"]! > p["rose"]! ? "daisy" : "rose"))
        }

        // TensorBoard logs, an ONNX export that refuses to overwrite, and the exact inputs as .npy.
        #expect(train.stdout.contains("TensorBoard: tensorboard --logdir \(run.path)/tensorboard"), "\(train.stdout)")
        for side in ["train", "validation"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("tensorboard/\(side)").path)
            #expect(files.contains { $0.hasPrefix("events.out.tfevents.") }, "no \(side) event file")
        }
        let model = run.appendingPathComponent("best.safetensors").path, onnx = dir.appendingPathComponent("model.onnx").path
        let export = try CLI.run(["export", model, "-o", onnx], in: dir)
        #expect(export.status == 0 && export.stdout.contains("Input 'input': float32 [batch, 3, 64, 64], prepared as:"), "\(export.stdout)\(export.stderr)")
        #expect(FileManager.default.fileExists(atPath: onnx))
        let again2 = try CLI.run(["export", model, "-o", onnx], in: dir)
        #expect(again2.status == 1 && again2.stderr.contains("\(onnx) exists; choose another --output or add --overwrite"), "\(again2.stderr)")
        let saved = try CLI.run(["predict", model, "data/rose", "--save-inputs", "inputs"], in: dir)
        #expect(saved.status == 0)
        let npy = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("inputs").path)
        #expect(npy.count == 10 && npy.allSatisfy { $0.hasSuffix(".npy") })
        let first = try Data(contentsOf: dir.appendingPathComponent("inputs/" + npy.sorted()[0]))
        #expect(first.starts(with: [0x93] + Array("NUMPY".utf8)) && first.count == 128 + 3 * 64 * 64 * 4)

        let report = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        for section in ["Loss", "Accuracy", "ROC AUC", "Learning rate", "ROC curve", "Confusion matrix", "Samples", "Augmentation as training draws it", "Predictions"] {
            #expect(report.contains(section), "the report lacks \(section)")
        }
        #expect(report.components(separatedBy: "<svg").count - 1 >= 5, "charts are inline SVG")
        #expect(report.contains("data:image/png;base64,"), "image grids are embedded")
    }

    @Test func badArgumentsExitNonZeroNamingTheProblem() throws {
        let dir = try CLI.tinyDataSet(perClass: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [([String], String)] = [
            (["train", "data", "--model", "resnet19"], "unknown model 'resnet19'"),
            (["train", "missing-folder"], "missing-folder"),
            (["train", "data", "--classes", "daisy,tulip"], "tulip"),
            (["train", "data", "--epochs", "0"], "--epochs"),
            (["evaluate", "nothing.safetensors", "data"], "nothing.safetensors"),
            (["predict", "nothing.safetensors", "data/rose"], "nothing.safetensors"),
            (["summary", "resnet7"], "unknown model 'resnet7'"),
            (["bench", "--model", "resnet19"], "unknown model 'resnet19'"),
            (["bench", "--steps", "0"], "--steps"),
            (["bench", "--convolution", "winograd"], "winograd"),
        ]
        for (arguments, expected) in cases {
            let r = try CLI.run(arguments, in: dir)
            #expect(r.status != 0, "\(arguments) should fail")
            #expect(r.stderr.contains(expected), "\(arguments): stderr was \(r.stderr)")
        }
        let garbage = dir.appendingPathComponent("garbage.safetensors")
        try Data("not a checkpoint".utf8).write(to: garbage)
        let r = try CLI.run(["predict", garbage.path, "data/rose"], in: dir)
        #expect(r.status != 0 && r.stderr.contains("garbage.safetensors"))
    }

    @Test func benchTimesATinyModelAndPrintsJSON() throws {
        let r = try CLI.run(["bench", "--width", "4", "--input", "32", "--batch-size", "4", "--steps", "2", "--classes", "3", "--json"],
                            in: FileManager.default.temporaryDirectory)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Double])
        #expect(figures["batchSize"] == 4)
        for key in ["trainImagesPerSecond", "inferImagesPerSecond", "latencyMilliseconds"] {
            let v = try #require(figures[key], "\(key) missing")
            #expect(v.isFinite && v > 0, "\(key) = \(v)")
        }
    }

    @Test func summaryAndHelpWork() throws {
        let dir = FileManager.default.temporaryDirectory
        let s = try CLI.run(["summary", "resnet18", "--variant", "v1", "--classes", "1000", "--input", "224"], in: dir)
        #expect(s.status == 0 && s.stdout.contains("Total parameters: 11,689,512"))
        for sub in ["train", "report", "compare", "import", "export", "serve", "evaluate", "predict", "sweep-lr", "find-lr", "overfit", "preview", "inspect", "summary", "bench", "quantize", "models"] {
            let h = try CLI.run([sub, "--help"], in: dir)
            #expect(h.status == 0 && h.stdout.contains("USAGE"), "\(sub) --help")
            let prose = h.stdout.components(separatedBy: "USAGE:")[0]
            #expect(prose.range(of: "[^ ] {4,}[^ ]", options: .regularExpression) == nil,
                    "\(sub) --help: the discussion has a run of spaces (a broken line continuation)")
        }
    }

    /// The default recipe and the tutorial's preset land in config.json; single options change a recipe; `compare`
    /// draws runs side by side in the first one's report and tells whether they share their validation images.
    @Test func recipesAreRecordedAndRunsCompare() throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tiny = ["--width", "4", "--crop", "64", "--batch-size", "4", "--epochs", "2", "--no-tensorboard"]
        for (run, options) in [("tutorial", ["--recipe", "tutorial", "--seed", "7"]), ("standard", ["--seed", "7"]),
                               ("changed", ["--lr", "0.02", "--schedule", "onecycle", "--seed", "8", "--random-resized-crop", "0.5", "--resize", "70"])] {
            let r = try CLI.run(["train", "data", "--run-dir", run] + tiny + options, in: dir)
            #expect(r.status == 0, "\(run): \(r.stderr)")
            if run == "standard" {
                #expect(r.stdout.contains("Recipe: standard (sgd lr 0.05, momentum 0.9, weight decay 0.0005, clip norm 1.0, schedule cosine with warm-up)"), "\(r.stdout)")
            }
            if run == "tutorial" {
                #expect(r.stdout.contains("Training ResNet-18 (keras)"), "the tutorial's recipe trains its network: \(r.stdout)")
                #expect(r.stdout.contains("Crop: 64×64 centre of each photo's own pixels"), "the tutorial's crop: \(r.stdout)")
            }
            if run == "standard" { #expect(r.stdout.contains("Crop: 64×64 centre of each photo resized to a 64-pixel short side"), "\(r.stdout)") }
        }
        func configuration(_ run: String) throws -> RunConfiguration {
            try RunJSON.decode(RunConfiguration.self, from: Data(contentsOf: dir.appendingPathComponent("\(run)/config.json")))
        }
        let tutorial = try configuration("tutorial"), standard = try configuration("standard"), changed = try configuration("changed")
        #expect(tutorial.recipe == .tutorial && tutorial.optimizer.learningRate == 0.1 && tutorial.optimizer.momentum == 0
                && tutorial.optimizer.weightDecay == 0 && tutorial.schedule == .stepDecay(factor: 0.5, every: 1))
        #expect(standard.recipe == .standard && standard.optimizer.learningRate == 0.05 && standard.optimizer.momentum == 0.9
                && standard.optimizer.weightDecay == 5e-4 && standard.schedule == .cosine)
        #expect(changed.recipeDescription == "standard, lr 0.02, schedule one-cycle" && changed.optimizer.momentum == 0.9)
        #expect(changed.data.augmentation?.randomResizedCrop == 0.5...1)
        let changedReport = try String(contentsOf: dir.appendingPathComponent("changed/report.html"), encoding: .utf8)
        #expect(changedReport.contains("random-resized crops of 50–100 % of the area") && changedReport.contains("standard, lr 0.02, schedule one-cycle"))
        #expect(changed.data.resize == 70 && changedReport.contains("64×64 centre of each photo resized to a 70-pixel short side"))
        let history = try String(contentsOf: dir.appendingPathComponent("tutorial/history.csv"), encoding: .utf8)
        #expect(history.split(separator: "\n").map { $0.split(separator: ",").last! }.dropFirst() == ["0.10000000149011612", "0.05000000074505806"],
                "the tutorial halves the rate each epoch: \(history)")

        let compare = try CLI.run(["compare", "tutorial", "standard"], in: dir)
        #expect(compare.status == 0 && compare.stderr.isEmpty, "\(compare.stderr)")
        let rows = compare.stdout.split(separator: "\n")
        #expect(rows.contains { $0.hasPrefix("tutorial · tutorial · 2 · ") } && rows.contains { $0.hasPrefix("standard · standard · 2 · ") }, "\(compare.stdout)")
        let report = try String(contentsOf: dir.appendingPathComponent("tutorial/report.html"), encoding: .utf8)
        #expect(report.contains("Comparison with other runs") && report.contains("validated on the same images, so their figures compare"))
        #expect(report.contains("Validation ROC AUC") && report.contains("Training loss"))
        let other = try CLI.run(["compare", "standard", "changed"], in: dir)
        #expect(other.status == 0 && other.stderr.contains("not validated on the same images"), "another seed, another split: \(other.stderr)")

        // `petal report` evaluates the best checkpoint again and rebuilds the report.
        try FileManager.default.removeItem(at: dir.appendingPathComponent("standard/report.html"))
        let rebuilt = try CLI.run(["report", "standard"], in: dir)
        #expect(rebuilt.status == 0 && rebuilt.stdout.contains("Best model on validation: accuracy "), "\(rebuilt.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("standard/report.html").path))

        for (arguments, expected) in [(["compare", "tutorial"], "at least two run folders"),
                                      (["report", "data"], "holds no run"),
                                      (["compare", "tutorial", "data"], "data: holds no config.json"),
                                      (["train", "data", "--decay-factor", "0.3"] + tiny, "--decay-factor and --decay-every apply to the step schedule")] {
            let r = try CLI.run(arguments, in: dir)
            #expect(r.status != 0 && r.stderr.contains(expected), "\(arguments): \(r.stderr)")
        }
    }

    /// `petal import` converts torchvision's format once; `--pretrained` then starts from the converted file.
    @Test func importedWeightsStartATrainingRun() throws {
        let dir = try CLI.tinyDataSet(perClass: 4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pth = CLI.repository.appendingPathComponent("Tests/PetalNNTests/Fixtures/pytorch_resnet18_w4_eval.pth").path
        let imported = try CLI.run(["import", pth, "-o", "r18.safetensors"], in: dir)
        #expect(imported.status == 0 && imported.stdout.contains("Wrote r18.safetensors: resnet18 (torchvision v1), width 4, 10 classes"), "\(imported.stdout)\(imported.stderr)")
        #expect(imported.stdout.contains("petal train DATA --pretrained r18.safetensors --variant v1 --width 4"))
        let again = try CLI.run(["import", pth, "-o", "r18.safetensors"], in: dir)
        #expect(again.status == 1 && again.stderr.contains("r18.safetensors: exists; choose another --output or add --overwrite"), "\(again.stderr)")
        let train = try CLI.run(["train", "data", "--run-dir", "run", "--pretrained", "r18.safetensors", "--variant", "v1", "--width", "4",
                                 "--crop", "64", "--batch-size", "4", "--epochs", "1", "--no-report", "--no-tensorboard"], in: dir)
        #expect(train.status == 0 && train.stdout.contains("r18.safetensors; the classifier (fc.weight, fc.bias) is new, for 2 classes"),
                "\(train.stdout)\(train.stderr)")
    }

    /// Three classes end to end: the third is the daisies mirrored (new pixels, so no duplicate leaks).
    @Test func threeClassesTrainEvaluateReportAndPredict() throws {
        let dir = try CLI.tinyDataSet(perClass: 8)
        defer { try? FileManager.default.removeItem(at: dir) }
        let daisy = dir.appendingPathComponent("data/daisy"), third = dir.appendingPathComponent("data/mirrored")
        try FileManager.default.createDirectory(at: third, withIntermediateDirectories: true)
        for f in try FileManager.default.contentsOfDirectory(atPath: daisy.path) {
            let image = try Image<UInt8>(contentsOf: daisy.appendingPathComponent(f))
            try image.flippedVertically().write(to: third.appendingPathComponent(f), format: .jpeg(quality: 90))
        }
        let train = try CLI.run(["train", "data", "--run-dir", "run", "--epochs", "2"] + CLITests.tiny, in: dir)
        #expect(train.status == 0, "train failed: \(train.stderr)")
        let run = dir.appendingPathComponent("run")
        let evaluation = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("evaluation.json"))) as? [String: Any])
        #expect((evaluation["classes"] as? [String]) == ["daisy", "mirrored", "rose"])
        #expect((evaluation["confusionMatrix"] as? [[Int]])?.map(\.count) == [3, 3, 3])
        #expect((evaluation["rocCurves"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["daisy vs rest", "mirrored vs rest", "rose vs rest"])
        let report = try String(contentsOf: run.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(report.contains("mirrored vs rest") && report.contains("Confusion matrix"))
        let predict = try CLI.run(["predict", "run/best.safetensors", "data/mirrored", "--json"], in: dir)
        #expect(predict.status == 0, "\(predict.stderr)")
        let rows = try predict.stdout.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.count == 8 && rows.allSatisfy { ($0["probabilities"] as? [String: Double])?.count == 3 })
    }

    @Test func previewTakesTheTutorialsOptionsAndChecksThem() throws {
        let dir = try CLI.tinyDataSet(perClass: 1)
        defer { try? FileManager.default.removeItem(at: dir) }
        let photo = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("data/rose").path)[0]
        let image = "data/rose/" + photo
        let r = try CLI.run(["preview", image, "--output", "grids", "--threshold", "otsu", "--channel", "green", "--footprint", "square",
                             "--radius", "2", "--rotation", "30", "--zoom", "1.5", "--shift", "20", "--shear", "10", "--brightness", "1.2",
                             "--vertical-flip", "--seed", "3"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        for file in ["channels.png", "morphology.png", "normalisation.png", "flips.png", "affine.png", "augmentations.png"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("grids/" + file).path), "missing \(file)")
        }
        for (arguments, expected) in [(["--radius", "0"], "--radius"), (["--threshold", "300"], "--threshold"), (["--channel", "alpha"], "alpha"),
                                      (["--zoom", "0"], "--zoom"), (["--shear", "90"], "--shear"), (["--brightness", "nan"], "--brightness")] {
            let bad = try CLI.run(["preview", image, "--output", "bad"] + arguments, in: dir)
            #expect(bad.status != 0 && bad.stderr.split(separator: "\n").first?.contains(expected) == true, "\(arguments): \(bad.stderr)")
        }
    }
}

