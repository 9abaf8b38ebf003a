// Image benchmarks (issue #3): binary morphology with disk(3) on a 240 × 320 mask, a 45° bilinear warp of a
// 100 × 100 × 3 float image, and JPEG decoding of the demo photos. Single-threaded, in images per second,
// with ratios to reference figures measured on the same machine (stated in the issue):
//   binary morphology, disk(3), 240 × 320: scikit-image 0.26 ≈ 1,000 µs, OpenCV cv2.erode ≈ 50 µs per image;
//   warp 45° bilinear, 100 × 100 × 3 float: scikit-image ≈ 920 images/s, albumentations Affine ≈ 4,400 images/s (2 threads).
import Foundation
import PetalImage

/// The benchmark helpers, in a namespace of their own so that they cannot clash with the tensor benchmarks'.
private enum ImageBench {
    struct Measurement {
        let secondsPerCall: Double
        var perSecond: Double { 1 / secondsPerCall }
        var microseconds: Double { secondsPerCall * 1e6 }
    }

    /// CPU time of the calling thread: on a machine shared with compilers and other benchmarks, wall-clock
    /// time includes the time this thread waits for a core; its own CPU time does not.
    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Repeats `body` in batches until `budget` seconds of CPU time pass; the fastest batch's mean is the figure.
    static func measure(budget: Double, _ body: () -> Void) -> Measurement {
        body()   // warm-up: page in code and buffers
        var batch = 1
        // Grow the batch until one takes ≥ 10 ms, so the clock's resolution does not matter.
        while true {
            let t0 = threadCPUSeconds()
            for _ in 0..<batch { body() }
            if threadCPUSeconds() - t0 >= 0.01 || batch >= 1 << 20 { break }
            batch *= 2
        }
        var best = Double.infinity
        let start = threadCPUSeconds()
        repeat {
            let t0 = threadCPUSeconds()
            for _ in 0..<batch { body() }
            best = min(best, (threadCPUSeconds() - t0) / Double(batch))
        } while threadCPUSeconds() - start < budget
        return Measurement(secondsPerCall: best)
    }

    /// `v` with `digits` decimals and thousands separators.
    static func formatted(_ v: Double, _ digits: Int = 0) -> String {
        let text = String(format: "%.\(digits)f", v)
        let parts = text.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0]), grouped = ""
        let negative = whole.hasPrefix("-")
        if negative { whole.removeFirst() }
        for (i, ch) in whole.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { grouped.append(",") }
            grouped.append(ch)
        }
        return (negative ? "-" : "") + String(grouped.reversed()) + (parts.count > 1 ? "." + parts[1] : "")
    }

    static func report(_ name: String, _ m: Measurement, _ references: [(String, Double)]) {
        let ratios = references.map { "×\(formatted(m.perSecond / $0.1, 1)) vs \($0.0)" }.joined(separator: ", ")
        let label = name.padding(toLength: 48, withPad: " ", startingAt: 0)
        print("image  \(label) \(leftPadded(formatted(m.perSecond), 10)) img/s  \(leftPadded(formatted(m.microseconds, 1), 8)) µs/img  \(ratios)")
    }

    /// `text` right-aligned in `n` columns.
    static func leftPadded(_ text: String, _ n: Int) -> String {
        text.count >= n ? text : String(repeating: " ", count: n - text.count) + text
    }

    /// The flowers-mini demo photos, wherever this checkout keeps them.
    static func demoPhotoPaths() -> [String] {
        var roots: [String] = []
        if let env = ProcessInfo.processInfo.environment["PETAL_FLOWERS"] { roots.append(env) }
        roots += ["Data/flowers-mini", "Resources/flowers-mini", "../shared/datasets/flowers-mini", "/work/shared/datasets/flowers-mini"]
        let fm = FileManager.default
        for root in roots where fm.fileExists(atPath: root) {
            let files = (try? fm.subpathsOfDirectory(atPath: root))?.filter { $0.lowercased().hasSuffix(".jpg") }.sorted() ?? []
            if !files.isEmpty { return files.map { root + "/" + $0 } }
        }
        return []
    }
}

func runImageBenchmarks(quick: Bool) {
    let budget = quick ? 0.15 : 1.5
    print("image  benchmarks: single thread, thread CPU time, best batch\(quick ? ", quick" : "")")
    let photos = ImageBench.demoPhotoPaths()

    // 1. Binary morphology, disk(3), on a 240 × 320 mask: the demo's first 240 × 320 photo, red channel > 125.
    var mask = Image<Bool>(height: 240, width: 320)
    if let photo = photos.lazy.compactMap({ try? Image<UInt8>(contentsOf: URL(fileURLWithPath: $0)) }).first(where: { $0.height == 240 && $0.width == 320 }) {
        mask = photo.thresholded(above: 125, channel: 0)
    } else {
        var g = SeededGenerator(seed: 3)
        for i in 0..<mask.pixels.count { mask.pixels[i] = (i / 320 / 20 + i % 320 / 20) % 2 == 0 || g.nextUnit() < 0.1 }
        print("image  (demo photos not found: morphology runs on a synthetic mask)")
    }
    let disk3 = Footprint.disk(3)
    for op in MorphologyOperation.allCases {
        // Opening and closing are two passes: OpenCV's equivalent costs two cv2.erode-sized passes.
        let passes = op == .opening || op == .closing ? 2.0 : 1.0
        let references = [("scikit-image 1,000 µs", 1_000.0), ("OpenCV \(Int(50 * passes)) µs", 20_000.0 / passes)]
        var sink = 0
        let m = ImageBench.measure(budget: budget) { sink &+= mask.morphology(op, footprint: disk3).pixels.count }
        ImageBench.report("binary \(op.rawValue), disk(3), 240×320", m, references)
        _ = sink
    }
    let grey = Image<UInt8>(height: 240, width: 320, repeating: 0).mapPixels { $0 }
    let m = ImageBench.measure(budget: budget) { _ = grey.morphology(.erosion, footprint: disk3) }
    ImageBench.report("grey erosion uint8, disk(3), 240×320", m, [("scikit-image ≈1,000 µs (binary)", 1_000.0)])

    // 2. Warp: 45° rotation about the centre, bilinear, 100 × 100 × 3 Float.
    var image = Image<Float>(height: 100, width: 100, channels: 3)
    for i in 0..<image.pixels.count { image.pixels[i] = Float((i * 7919) % 1000) / 999 }
    let rotation = AffineTransform2D(rotation: .pi / 4).aboutCentre(height: 100, width: 100)
    let warpReferences = [("scikit-image 920/s", 920.0), ("albumentations 4,400/s (2 threads)", 4_400.0)]
    let w1 = ImageBench.measure(budget: budget) { _ = image.warped(by: rotation) }
    ImageBench.report("warp 45° bilinear 100×100×3 (new image)", w1, warpReferences)
    var buffer = [Float](repeating: 0, count: 100 * 100 * 3)
    let inverse = rotation.inverse
    let w2 = buffer.withUnsafeMutableBufferPointer { dst in
        ImageBench.measure(budget: budget) { image.warp(inverseMap: inverse, into: dst, outputHeight: 100, outputWidth: 100, layout: .planar) }
    }
    ImageBench.report("warp 45° bilinear 100×100×3 (into CHW buffer)", w2, warpReferences)
    let bytes = image.toBytes()
    let w3 = buffer.withUnsafeMutableBufferPointer { dst in
        ImageBench.measure(budget: budget) { bytes.warp(inverseMap: inverse, into: dst, outputHeight: 100, outputWidth: 100, layout: .planar) }
    }
    ImageBench.report("warp 45° bilinear 100×100×3 (UInt8 → CHW Float)", w3, warpReferences)
    // The data loader's path: a fresh Keras-style random transform per image, edge fill, UInt8 → CHW Float.
    let augmentation = AugmentationPolicy(rotationRange: 45, widthShiftRange: 0.1, heightShiftRange: 0.1, zoomRange: 0.8...1.2,
                                          shearRange: 10, horizontalFlip: true)
    var generator = SeededGenerator(seed: 1)
    let w4 = buffer.withUnsafeMutableBufferPointer { dst in
        ImageBench.measure(budget: budget) {
            let p = augmentation.sample(height: 100, width: 100, using: &generator)
            bytes.warp(inverseMap: .keras(p, height: 100, width: 100), into: dst, outputHeight: 100, outputWidth: 100,
                       layout: .planar, border: .edge)
        }
    }
    ImageBench.report("Keras random affine+flip, edge, UInt8→CHW", w4, warpReferences)

    // 3. JPEG decoding of the demo photos.
    guard !photos.isEmpty else { print("image  JPEG decode: demo photos not found (set PETAL_FLOWERS)"); return }
    let files = photos.prefix(quick ? 20 : photos.count).compactMap { FileManager.default.contents(atPath: $0) }
    guard let decoder = try? JPEGDecoder() else { return }
    for (label, options) in [("full size", DecodeOptions()), ("full size, fast DCT", DecodeOptions(fastJPEG: true)),
                             ("DCT 1/2", DecodeOptions(jpegScale: .half))] {
        var pixels = 0
        for f in files { pixels += f.withUnsafeBytes { (try? decoder.decode($0, options: options))?.pixelCount ?? 0 } }
        let t = ImageBench.measure(budget: budget) {
            for f in files { f.withUnsafeBytes { _ = try? decoder.decode($0, options: options) } }
        }
        let perImage = t.secondsPerCall / Double(files.count)
        let mpix = Double(pixels) / t.secondsPerCall / 1e6
        print("image  \("JPEG decode \(label), \(files.count) demo photos".padding(toLength: 48, withPad: " ", startingAt: 0)) \(ImageBench.leftPadded(ImageBench.formatted(1 / perImage), 10)) img/s  \(ImageBench.leftPadded(ImageBench.formatted(perImage * 1e6, 1), 8)) µs/img  \(ImageBench.formatted(mpix, 1)) MPix/s (output pixels)")
    }
}
