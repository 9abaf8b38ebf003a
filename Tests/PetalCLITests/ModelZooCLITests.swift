// The product takes other families than ResNet: a MobileNetV3, an EfficientNet and a ConvNeXt train into a run folder, and their
// checkpoints are evaluated, labelled (with Grad-CAM pictures), served and exported as a ResNet's is.
import Foundation
import Testing

@Suite struct ModelZooCLITests {
    @Test(arguments: [("mobilenet_v3_small", "MobileNetV3-Small (width 0.25)"), ("efficientnet_b0", "EfficientNet-B0 (width 0.25)"),
                      ("convnext_tiny", "ConvNeXt-Tiny (width 0.25)"), ("vit_b_32", "ViT-B/32 (width 0.25)")])
    func aFamilyTrainsEvaluatesPredictsServesAndExports(model: String, described: String) async throws {
        let dir = try CLI.tinyDataSet(perClass: 6)
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = try CLI.run(["train", "data", "--model", model, "--width-multiplier", "0.25", "--crop", "32", "--batch-size", "4",
                                 "--epochs", "2", "--seed", "7", "--threads", "1", "--run-dir", "run"], in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        let config = try String(contentsOf: dir.appendingPathComponent("run/config.json"), encoding: .utf8)
        #expect(config.contains("\"architecture\" : \"\(model)\"") && config.contains("\"widthMultiplier\" : 0.25"))
        // The standard recipe trains MobileNetV3's batch norms at momentum 0.1 (torchvision's 0.01 left them unconverged).
        #expect(config.contains("\"batchNormMomentum\" : 0.1") == model.hasPrefix("mobilenet_v3"), "\(config)")
        let report = try String(contentsOf: dir.appendingPathComponent("run/report.html"), encoding: .utf8)
        #expect(report.contains("\(model) (width 0.25") && report.contains("Where the network looked"))

        let evaluate = try CLI.run(["evaluate", "run/best.safetensors", "data", "--json"], in: dir)
        #expect(evaluate.status == 0 && evaluate.stdout.contains("\"auc\""), "\(evaluate.stderr)")
        let predict = try CLI.run(["predict", "run/best.safetensors", "data/rose", "--explain", "cams"], in: dir)
        #expect(predict.status == 0, "\(predict.stderr)")
        let cams = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("cams").path)
        #expect(cams.count == 6 && cams.allSatisfy { $0.hasSuffix(".gradcam.png") })
        let export = try CLI.run(["export", "run/best.safetensors", "-o", "model.onnx"], in: dir)
        #expect(export.status == 0 && export.stdout.contains(described), "\(export.stdout) \(export.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("model.onnx").path))
        #if Serve
        // `petal serve` answers with `petal predict`'s probabilities.
        try FileManager.default.copyItem(at: dir.appendingPathComponent("run/best.safetensors"), to: dir.appendingPathComponent("model.safetensors"))
        let photo = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("data/rose").path).sorted().first)
        let predicted = try CLI.run(["predict", "model.safetensors", "data/rose/\(photo)", "--json"], in: dir)
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(predicted.stdout.utf8)) as? [String: Any])["probabilities"] as? [String: Double]
        let (server, port) = try ServeOptionsTests.startServer(in: dir, [])
        defer { server.terminate(); server.waitUntilExit() }
        let answer = await request(port, "POST", "/predict", contentType: "application/octet-stream",
                                   body: try Data(contentsOf: dir.appendingPathComponent("data/rose/\(photo)")))
        let served = try #require(answer.json["probabilities"] as? [String: Double], "\(answer.status) \(answer.text)")
        #expect(served.keys.sorted() == expected?.keys.sorted() && served.allSatisfy { abs($0.value - (expected?[$0.key] ?? -1)) < 1e-6 }, "\(served) \(String(describing: expected))")
        #endif
        let unknown = try CLI.run(["train", "data", "--model", "mobilenet_v4"], in: dir)
        #expect(unknown.status != 0 && unknown.stderr.contains("use resnet18, resnet34, resnet50, resnet101, resnet152, mobilenet_v3_small, mobilenet_v3_large, efficientnet_b0,"), "\(unknown.stderr)")
    }

    /// `petal models` lists each network with torchvision's parameter count and multiply-adds at the crop, measures
    /// speed when asked, and names the accepted models for an unknown one.
    @Test func modelsListsParametersMultiplyAddsAndMeasuredSpeed() throws {
        let dir = FileManager.default.temporaryDirectory
        let listed = try CLI.run(["models", "resnet18", "mobilenet_v3_small", "convnext_tiny", "--crop", "224"], in: dir)
        let lines = listed.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(listed.status == 0 && lines == ["model parameters mult-adds @224", "resnet18 11.7M 1.81G", "mobilenet_v3_small 2.5M 0.06G",
                                                 "convnext_tiny 28.6M 4.46G"], "\(listed.stdout) \(listed.stderr)")
        let measured = try CLI.run(["models", "mobilenet_v3_small", "--crop", "32", "--measure", "--batch-size", "2", "--json"], in: dir)
        let row = try #require(try JSONSerialization.jsonObject(with: Data(measured.stdout.utf8)) as? [String: Any], "\(measured.stdout) \(measured.stderr)")
        #expect(row["parameters"] as? Int == 2_542_856 && row["crop"] as? Int == 32)
        #expect((row["trainImagesPerSecond"] as? Double ?? 0) > 0 && (row["inferImagesPerSecond"] as? Double ?? 0) > 0, "\(row)")
        let unknown = try CLI.run(["models", "vit_b_17"], in: dir)
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown model 'vit_b_17': use resnet18,"), "\(unknown.stderr)")
    }
}
