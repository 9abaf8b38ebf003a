// One epoch of the tutorial's run (issue #6): ResNet-18 (pre-activation), 100×100 crops, batch 32, augmentation
// with the doubled batch, validation loss/accuracy/AUC each epoch, over the bundled demo set; wall time and
// images/s for the first epoch (decoding included) and a later one, against the Keras and PyTorch figures
// measured on this machine (Keras ≈ 5 s per epoch, 11–13 s for the first; PyTorch 4–6 s per epoch).
import Foundation
import PetalData
import PetalTrain

func runTutorialBenchmark(quick: Bool) {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Data/flowers-mini").path
    let json = CommandLine.arguments.contains("--json")
    if !json { print("\n== Tutorial run: one epoch over \(root.split(separator: "/").suffix(2).joined(separator: "/")), ResNet-18 preact, 100×100, batch 32 doubled, \(Device.default.threads) threads") }
    do {
        let start = Date()
        let augmentation = AugmentationPolicy(rotationRange: 30, widthShiftRange: 0.1, heightShiftRange: 0.1, zoomRange: AugmentationPolicy.zoom(0.2),
                                              shearRange: 10, horizontalFlip: true, fillMode: .reflect)
        let prepared = try DataPipeline.prepare(root: URL(fileURLWithPath: root), config: DataConfig(augmentation: augmentation, appendAugmentedCopy: true), log: { _ in })
        let model = try ResNet(depth: .r18, variant: .preActivation, classes: 2)
        model.setConvolutionAlgorithm(benchConvolutionAlgorithm)
        let optimizer = try SGD(parameters: model.parameters, learningRate: 0.1, clipping: .normPerTensor(1))
        var epochTimes: [Double] = []
        final class Timer: Callback {
            var began = Date(), times: [Double] = []
            func epochBegin(_ state: TrainingState) throws { began = Date() }
            func epochEnd(_ state: TrainingState, logs: inout Logs) throws { times.append(Date().timeIntervalSince(began)) }
        }
        let timer = Timer()
        let epochs = quick ? 2 : 3
        let history = try Trainer.fit(model, train: prepared.train, validation: prepared.validation, epochs: epochs, optimizer: optimizer,
                                      callbacks: [try LearningRateScheduler(.stepDecay(base: 0.1, factor: 0.5, every: 1)), timer])
        epochTimes = timer.times
        let images = Double(prepared.train.batchesPerEpoch * prepared.train.imagesPerBatch)
        let total = Date().timeIntervalSince(start)
        if json {  // for Benchmarks/compare/tutorial_compare.py
            let aucs = history.values("val_auc").map { String($0) }.joined(separator: ", ")
            print("{\"first_epoch_s\": \(epochTimes[0]), \"later_epoch_s\": \(epochTimes.dropFirst().min() ?? .nan), \"train_images_per_epoch\": \(Int(images)), \"val_auc\": [\(aucs)], \"total_s\": \(total)}")
            return
        }
        print(String(format: "first epoch:  %5.2f s (%.0f training images/s; the scan decoded and cropped before it)   Keras 11–13 s → ×%.1f", epochTimes[0], images / epochTimes[0], 12 / epochTimes[0]))
        let later = epochTimes.dropFirst().min() ?? .nan
        print(String(format: "later epoch:  %5.2f s (%.0f training images/s)                          Keras ≈5 s → ×%.1f, PyTorch 4–6 s → ×%.1f",
                     later, images / later, 5 / later, 5 / later))
        print(String(format: "process work to the end of epoch %d: %.1f s (scan, split, model, %d epochs); val_auc per epoch %@",
                     epochs, total, epochs, history.values("val_auc").map { String(format: "%.3f", $0) }.joined(separator: " ")))
    } catch {
        print("tutorial benchmark failed: \(error.localizedDescription)")
    }
}
