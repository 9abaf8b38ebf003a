// `petal-bench --probe-convolutions [--bf16]`: every oneDNN implementation and activation layout for each distinct
// convolution of ResNet-18 at 100×100, batch 32, timed alone (median of 5). Not part of the regular run; re-run it
// on a new processor or oneDNN version. Caution, measured: isolated timings (hot caches, one primitive) did not carry
// over to the network. Rules built from them (channels-last for the 4×4 stage, gemm for bf16 backward-weights on
// strided and 1×1 convolutions, fp32 blocked outputs for bf16) each made whole ResNet-18 training steps 6–35% slower
// in an in-process A/B against oneDNN's own choices, so Petal keeps oneDNN's choices; judge any new rule the same way.
import Foundation
@_spi(Benchmark) import PetalTensor

func runConvolutionProbe(precision: Precision, batch: Int) {
    #if KERNEL_PROBES
    // (in, out, size, kernel, stride, padding, how many in the network)
    let shapes = [(3, 64, 100, 7, 2, 3, 1), (64, 64, 25, 3, 1, 1, 4), (64, 128, 25, 3, 2, 1, 1), (128, 128, 13, 3, 1, 1, 3),
                  (64, 128, 25, 1, 2, 0, 1), (128, 256, 13, 3, 2, 1, 1), (256, 256, 7, 3, 1, 1, 3), (128, 256, 13, 1, 2, 0, 1),
                  (256, 512, 7, 3, 2, 1, 1), (512, 512, 4, 3, 1, 1, 3), (256, 512, 7, 1, 2, 0, 1)]
    print("== Convolution implementations, ResNet-18 shapes, batch \(batch), \(precision), \(Device.default.threads) threads (ms, median of 5; × = count in the network)")
    for (cin, cout, size, k, s, p, n) in shapes {
        print("\n\(cin)→\(cout) \(k)×\(k)/\(s) at \(size)×\(size) ×\(n)")
        guard let found = try? ConvolutionImplementations.probe(batch: batch, inChannels: cin, outChannels: cout, size: size, kernel: k,
                                                                 stride: s, padding: p, precision: precision) else { print("  probe failed"); continue }
        for direction in ["forward", "backward-data", "backward-weights"] {
            let rows = found.filter { $0.direction == direction }.sorted { $0.milliseconds < $1.milliseconds }
            let cells = rows.prefix(6).map { String(format: "%.2f %@ %@(%@)", $0.milliseconds, $0.implementation, $0.layout, $0.srcLayout) }
            print("  \(direction.padding(toLength: 17, withPad: " ", startingAt: 0)) " + cells.joined(separator: " | "))
            fflush(nil)  // every stream: lines appear as each shape finishes
        }
    }
    #else
    print("the convolution probe needs the KernelProbes trait: swift build -c release --product petal-bench --traits KernelProbes")
    #endif
}
