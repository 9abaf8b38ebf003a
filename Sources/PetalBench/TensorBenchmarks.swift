// The 3×3 convolutions of ResNet-18 at 100×100 input, batch 32: forward, backward-data and backward-weights
// GFLOP/s through Petal's ops and through the bare oneDNN primitive on the same shape, and their ratio.
import Foundation
@_spi(Benchmark) import PetalTensor

func runTensorBenchmarks(quick: Bool) {
    #if !KERNEL_PROBES
    print("== PetalTensor convolution tables skipped: they need the KernelProbes trait (make bench builds with it)")
    return
    #else
    let device = Device.default
    print("== PetalTensor: ResNet-18 3×3 convolutions, batch 32, fp32, \(device.threads) threads (OMP_WAIT_POLICY=\(ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] ?? "unset"))")
    print(cell("shape", 22) + cell("pass", 16) + cell("Petal GFLOP/s", 15) + cell("oneDNN GFLOP/s", 16) + "Petal/oneDNN")
    let seconds = quick ? 0.3 : 2.0
    for (channels, size) in [(64, 25), (128, 13), (256, 7), (512, 4)] {
        do {
            let b = try ConvolutionBenchmark(batch: 32, channels: channels, size: size)
            let passes: [(String, () throws -> Void, () throws -> Void)] = [
                ("forward", b.petalForward, b.onednnForward),
                ("backward-data", b.petalBackwardData, b.onednnBackwardData),
                ("backward-weights", b.petalBackwardWeights, b.onednnBackwardWeights),
            ]
            for (name, petal, onednn) in passes {
                // Interleave the two sides so drift in machine speed hits both alike.
                var p: [Double] = [], o: [Double] = []
                for _ in 0..<3 {
                    p.append(try medianSeconds(seconds: seconds / 3, petal))
                    o.append(try medianSeconds(seconds: seconds / 3, onednn))
                }
                let pg = b.flops / p.min()! / 1e9, og = b.flops / o.min()! / 1e9
                print(cell(b.label, 22) + cell(name, 16) + cell(String(format: "%.1f", pg), 15) + cell(String(format: "%.1f", og), 16)
                      + String(format: "%.2f", pg / og))
            }
            print(cell("", 22) + "kernel: \(b.implementation)")
        } catch {
            print("benchmark \(channels)→\(channels) at \(size)×\(size) failed: \(error.localizedDescription)")
        }
    }
    #endif
}
