// Small data sets and configurations for run tests: a few demo photos per class, a tiny network.
import Foundation
import PetalRun

enum RunFixtures {
    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    /// A fresh temporary folder holding `data/daisy` and `data/rose` with the first `perClass` demo photos each.
    static func tinyDataSet(perClass: Int) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("petal-run-\(UUID().uuidString)")
        for cls in ["daisy", "rose"] {
            let source = repository.appendingPathComponent("Data/flowers-mini/\(cls)")
            let target = root.appendingPathComponent("data/\(cls)")
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            for f in try FileManager.default.contentsOfDirectory(atPath: source.path).sorted().prefix(perClass) {
                try FileManager.default.copyItem(at: source.appendingPathComponent(f), to: target.appendingPathComponent(f))
            }
        }
        return root
    }

    /// A tiny run: ResNet-18 of width 4 on 32×32 crops, batches of 4, SGD with momentum.
    static func configuration(data: URL, epochs: Int = 2, schedule: SchedulePolicy = .stepDecay(factor: 0.5, every: 1)) -> RunConfiguration {
        let augmentation = AugmentationPolicy(rotationRange: 30, widthShiftRange: 0.1, heightShiftRange: 0.1,
                                              zoomRange: AugmentationPolicy.zoom(0.2), horizontalFlip: true)
        return RunConfiguration(dataDirectory: data,
                                data: DataConfig(cropHeight: 32, cropWidth: 32, seed: 7, batchSize: 4, augmentation: augmentation, appendAugmentedCopy: true),
                                model: ModelSettings(width: 4), optimizer: OptimizerSettings(learningRate: 0.05, momentum: 0.9),
                                schedule: schedule, epochs: epochs)
    }

    /// Stops a run during the batch `batch` of epoch `epoch` (0-based).
    final class StopAt: Callback {
        let epoch: Int, batch: Int, signal: StopSignal
        init(epoch: Int, batch: Int, signal: StopSignal) { (self.epoch, self.batch, self.signal) = (epoch, batch, signal) }
        func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws {
            if state.epoch == epoch && batch == self.batch { signal.request(code: 2) }
        }
    }
}
