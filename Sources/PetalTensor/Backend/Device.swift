// The compute device: oneDNN's CPU engine, its stream, the size of its OpenMP thread pool and the
// primitive cache. One shared default; nothing else is global.
import CDNNL
import Foundation

/// Owns oneDNN's CPU engine and stream, and sets how many threads oneDNN's OpenMP pool uses.
public final class Device: @unchecked Sendable {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    let cache = PrimitiveCache()
    let executionLock = NSLock()

    /// The device every op uses unless told otherwise; its pool uses all cores.
    public static let `default` = Device()

    private init() {
        var e: dnnl_engine_t?
        dnnlMust(dnnl_engine_create(&e, dnnl_cpu, 0), "engine_create")
        engine = e!
        var s: dnnl_stream_t?
        dnnlMust(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "stream_create")
        stream = s!
    }

    /// Threads in oneDNN's compute pool. Defaults to every core (or `OMP_NUM_THREADS` when set).
    public var threads: Int {
        get { Int(omp_get_max_threads()) }
        set {
            precondition(newValue > 0, "Device.threads must be positive, got \(newValue)")
            omp_set_num_threads(Int32(newValue))
        }
    }

    /// Number of distinct oneDNN primitives created so far (each is JIT-compiled once and reused).
    public var cachedPrimitiveCount: Int { cache.count }
}

/// Numeric precision of a convolution: `.fp32`, or `.bf16` — inputs and weights rounded to bfloat16 for
/// oneDNN's AMX / AVX-512-BF16 kernels while outputs, gradients, weights and every other op stay fp32 (mixed
/// precision; bf16 keeps fp32's exponent range, so no loss scaling is needed).
public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, bf16
}
