// `petal quantize` from the command line: a trained checkpoint becomes an int8 file that evaluate, predict and serve
// run, exports as a QDQ ONNX model, records its calibration, and is refused where it cannot go.
import Foundation
import Testing

@Suite struct QuantizeCLITests {
    @Test(arguments: [("resnet18", ["--width", "8"]), ("mobilenet_v3_small", ["--width-multiplier", "0.25"])])
    func aQuantizedCheckpointEvaluatesPredictsAndRecordsItsCalibration(model: String, width: [String]) throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try CLI.run(["train", "data", "--model", model, "--crop", "32", "--batch-size", "4", "--epochs", "2", "--seed", "7",
                                 "--threads", "1", "--run-dir", "run"] + width, in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let quantize = try CLI.run(["quantize", "run/best.safetensors", "--calibration", "data", "-o", "run/model.int8.safetensors",
                                    "--images", "8", "--method", "min-max"], in: dir)
        #expect(quantize.status == 0 && quantize.stdout.contains("Wrote run/model.int8.safetensors: int8 convolutions, 8 calibration images"),
                "\(quantize.stdout) \(quantize.stderr)")
        let file = try Data(contentsOf: dir.appendingPathComponent("run/model.int8.safetensors"))
        let length = Int(file.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try JSONSerialization.jsonObject(with: file.dropFirst(8).prefix(length)) as? [String: Any]
        let metadata = header?["__metadata__"] as? [String: String]
        let record = try JSONSerialization.jsonObject(with: Data((metadata?["petal_int8"] ?? "{}").utf8)) as? [String: Any]
        #expect(record?["method"] as? String == "min-max" && record?["calibrationImages"] as? Int == 8
                && record?["calibrationData"] as? String == "../data", "\(String(describing: record))")
        #expect((record?["activationRanges"] as? [String: [Double]])?["input"]?.count == 2)

        // Every image's probabilities stay near the fp32 model's, and evaluation runs on the run's split.
        func probabilities(_ checkpoint: String) throws -> [Double] {
            let r = try CLI.run(["predict", checkpoint, "data/rose", "data/daisy", "--json"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
            return try r.stdout.split(separator: "\n").flatMap { line in
                let item = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return (item?["probabilities"] as? [String: Double] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
            }
        }
        let (fp32, int8) = (try probabilities("run/best.safetensors"), try probabilities("run/model.int8.safetensors"))
        #expect(fp32.count == 24 && int8.count == 24)
        #expect(zip(fp32, int8).allSatisfy { abs($0 - $1) <= 0.1 }, "fp32 \(fp32), int8 \(int8)")
        let evaluate = try CLI.run(["evaluate", "run/model.int8.safetensors", "data", "--json"], in: dir)
        #expect(evaluate.status == 0 && evaluate.stdout.contains("\"auc\""), "\(evaluate.stderr)")

        // What the other commands say.
        let again = try CLI.run(["quantize", "run/best.safetensors", "--calibration", "data", "-o", "run/model.int8.safetensors"], in: dir)
        #expect(again.status != 0 && again.stderr.contains("exists; choose another --output or add --overwrite"), "\(again.stderr)")
        let twice = try CLI.run(["quantize", "run/model.int8.safetensors", "--calibration", "data", "-o", "twice.safetensors"], in: dir)
        #expect(twice.status != 0 && twice.stderr.contains("already int8"), "\(twice.stderr)")
        let export = try CLI.run(["export", "run/model.int8.safetensors", "-o", "model.onnx"], in: dir)
        #expect(export.status == 0 && export.stdout.contains("Int8("), "\(export.stdout) \(export.stderr)")
        let onnx = try Data(contentsOf: dir.appendingPathComponent("model.onnx"))
        #expect(onnx.range(of: Data("QuantizeLinear".utf8)) != nil && onnx.range(of: Data("petal.calibration".utf8)) != nil)
        let none = try CLI.run(["quantize", "run/best.safetensors", "--calibration", "data", "-o", "x.safetensors", "--images", "0"], in: dir)
        #expect(none.status != 0 && none.stderr.contains("--images must be at least 1"), "\(none.stderr)")
        let missing = try CLI.run(["quantize", "run/best.safetensors", "--calibration", "nowhere", "-o", "x.safetensors"], in: dir)
        #expect(missing.status != 0 && missing.stderr.contains("nowhere"), "\(missing.stderr)")
    }
}
