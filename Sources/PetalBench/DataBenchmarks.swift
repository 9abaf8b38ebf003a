// Data loader benchmarks (issue #4): throughput of PetalData's loader over the flowers demo set (100 daisy + 100
// rose JPEGs, 320 px wide) with 100 × 100 crops and batches of 32, in images per second of wall-clock time while
// the consuming thread does nothing else. The loader makes batches on ONE background thread (prefetching 2
// batches); the "direct" rows make them on the calling thread instead, the cost a training step would see without
// prefetching. References, measured on this machine and stated in the issue: the tutorial's Keras `Sequence` with
// scikit-image augmentation ≈ 18 images/s in its first epoch and ≈ 38 in later ones; albumentations augments
// ≈ 4,400 images/s on 2 threads. The target for later epochs with augmentation is 5,000 images/s on one thread.
import Foundation
import PetalData

private enum DataBench {
    /// The demo set's root: the bundled copy in the package, else the team's shared copy.
    static func demoRoot() -> String? {
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var roots: [String] = []
        if let env = ProcessInfo.processInfo.environment["PETAL_FLOWERS"] { roots.append(env) }
        roots += [package.appendingPathComponent("Data/flowers-mini").path,
                  package.appendingPathComponent("../shared/datasets/flowers-mini").standardizedFileURL.path]
        return roots.first { FileManager.default.fileExists(atPath: $0 + "/daisy") }
    }

    /// `v` with thousands separators and `digits` decimals.
    static func formatted(_ v: Double, _ digits: Int = 0) -> String {
        let text = String(format: "%.\(digits)f", v)
        let parts = text.split(separator: ".", maxSplits: 1)
        var grouped = ""
        for (i, ch) in parts[0].reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(ch)
        }
        return String(grouped.reversed()) + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// CPU time of the whole process (every thread): on a machine shared with compilers, wall-clock time also
    /// counts the time the loader's thread waits for a core; CPU time does not.
    static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median wall-clock and CPU seconds per call of `body` over at least `runs` calls and `seconds` of time.
    static func measure(runs: Int = 5, seconds: Double, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        try body()
        var wall: [Double] = [], cpu: [Double] = []
        let start = Date()
        while wall.count < runs || Date().timeIntervalSince(start) < seconds {
            let w0 = Date(), c0 = processCPUSeconds()
            try body()
            cpu.append(processCPUSeconds() - c0)
            wall.append(Date().timeIntervalSince(w0))
        }
        return (wall.sorted()[wall.count / 2], cpu.sorted()[cpu.count / 2])
    }

    static func report(_ name: String, images: Int, time: (wall: Double, cpu: Double), _ references: [(String, Double)]) {
        let rate = Double(images) / time.wall, cpuRate = Double(images) / time.cpu
        let ratios = references.map { "×\(formatted(rate / $0.1, 1)) vs \($0.0)" }.joined(separator: ", ")
        let label = name.padding(toLength: 46, withPad: " ", startingAt: 0)
        func column(_ v: Double) -> String { let t = formatted(v); return String(repeating: " ", count: max(0, 7 - t.count)) + t }
        print("data   \(label) \(column(rate)) img/s (\(column(cpuRate)) per CPU-s)  \(ratios)")
    }

    /// Every batch of one epoch, consumed and dropped; the number of images delivered.
    static func drain(_ loader: DataLoader, epoch: Int) -> Int {
        var images = 0
        guard let batches = try? loader.batches(epoch: epoch) else { return 0 }
        for b in batches { images += b.count }
        return images
    }
}

/// Loader throughput over the demo set: first epoch (decode + crop) and later epochs (cache, ± augmentation).
func runDataBenchmarks(quick: Bool) {
    guard let root = DataBench.demoRoot() else {
        print("data   loader benchmarks: flowers demo set not found (set PETAL_FLOWERS)")
        return
    }
    let seconds = quick ? 0.3 : 2.0
    let cores = ProcessInfo.processInfo.activeProcessorCount
    print("data   loader benchmarks: flowers-mini (200 JPEGs), 100×100 crops, batches of 32, wall clock; "
          + "loader = 1 background thread, direct = calling thread\(quick ? ", quick" : "")")
    let tutorial = [("Keras Sequence 1st epoch 18/s", 18.0)]
    let later = [("Keras Sequence later 38/s", 38.0), ("albumentations 4,400/s (2 thr)", 4_400.0), ("target 5,000/s", 5_000.0)]
    let policy = AugmentationPolicy(rotationRange: 20, widthShiftRange: 0.1, heightShiftRange: 0.1,
                                    zoomRange: AugmentationPolicy.zoom(0.2), shearRange: 10, horizontalFlip: true,
                                    brightnessRange: 0.8...1.2, fillMode: .nearest)
    do {
        let folder = try ImageFolder(root: URL(fileURLWithPath: root))
        let samples = folder.files.enumerated().flatMap { label, paths in paths.map { Sample(path: $0, label: label) } }

        // The scan decodes, crops and hashes every file on all cores (concurrentPerform).
        let scan = DataBench.measure(runs: 3, seconds: seconds) { _ = folder.inspect() }
        DataBench.report("scan: read, hash, decode, crop (\(cores) threads)", images: samples.count, time: scan, tutorial)

        func loader(_ augmentation: AugmentationPolicy?, doubling: Bool = false, prefetch: Int = 2, cache: ImageCache? = nil) throws -> DataLoader {
            let config = DataConfig(batchSize: 32, augmentation: augmentation, appendAugmentedCopy: doubling, dropLast: false,
                                    prefetchBatches: prefetch)
            return try DataLoader(samples: samples, root: folder.root, classNames: folder.classes, config: config,
                                  role: .training, cache: cache)
        }

        // First epoch: an empty cache, so every image is read, decoded and cropped (as without the scan's help).
        for (label, augmentation) in [("first epoch: decode, crop", nil as AugmentationPolicy?),
                                      ("first epoch: decode, crop, augment", policy)] {
            let t = try DataBench.measure(runs: 3, seconds: seconds) {
                _ = DataBench.drain(try loader(augmentation), epoch: 0)
            }
            DataBench.report("\(label) (loader)", images: samples.count, time: t, tutorial)
        }

        // Later epochs: crops come from the 8-bit cache.
        let cache = ImageCache(budgetBytes: 1 << 30)
        _ = DataBench.drain(try loader(nil, cache: cache), epoch: 0)
        let cases: [(String, AugmentationPolicy?, Bool, Int)] = [
            ("later epochs: cache, no augmentation", nil, false, 2),
            ("later epochs: cache + augmentation", policy, false, 2),
            ("later epochs: cache + augmentation, direct", policy, false, 0),
            ("later epochs: cache + doubling", policy, true, 2),
        ]
        for (label, augmentation, doubling, prefetch) in cases {
            let l = try loader(augmentation, doubling: doubling, prefetch: prefetch, cache: cache)
            var epoch = 1, images = 0
            let t = DataBench.measure(seconds: seconds) {
                images = DataBench.drain(l, epoch: epoch)
                epoch += 1
            }
            DataBench.report(label + (prefetch > 0 ? " (loader)" : ""), images: images, time: t, later)
        }
    } catch {
        print("data   loader benchmarks failed: \(error.localizedDescription)")
    }
}
