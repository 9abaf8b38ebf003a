// The compute device: a oneDNN stream on the process's CPU engine, the size of its OpenMP thread pool and its
// primitive cache, each with a documented bound and a call that empties it. The current device is task-local
// (`withCurrent`), as mlx-swift's default device: ops read it, and a program scopes its work to a device of its own.
import CDNNL
import Foundation
import Synchronization

/// Where ops compute: a oneDNN stream, the number of threads oneDNN's OpenMP pool uses, and the primitives made for it.
///
/// Every op runs on ``current``: ``default`` (every core), or the device a caller scoped its work to with
/// ``withCurrent(_:)``. One device runs one primitive at a time, whichever threads call it (a lock around each
/// execution: the stream and the scratchpad are shared, and GNU OpenMP gives every calling thread a team of its own);
/// two devices run side by side. All devices share one CPU engine, so tensors move freely between them. A tensor's
/// backward pass runs its primitives on the device current when it runs.
public final class Device: @unchecked Sendable {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    let cache = PrimitiveCache()
    let executionLock = NSLock()
    /// Collects per-primitive times while profiling (read and written under `executionLock`).
    var profile: ExecutionProfile?
    /// The recordings in progress, one per recording thread (read and written under `executionLock`); see ``RecordedFunction``.
    private var recordings: [ExecutionRecording] = []
    /// The scratch space every primitive borrows while it runs (grown to the largest need; used under `executionLock`).
    private var scratchpadBuffer: UnsafeMutableRawPointer?
    private var scratchpadCapacity = 0

    /// The device ops use outside any ``withCurrent(_:)`` scope; its pool uses all cores (or `OMP_NUM_THREADS`).
    public static let `default` = Device(threads: Int(omp_get_max_threads()))

    /// The device of the innermost ``withCurrent(_:)`` scope of this task, else ``default``: the one ops use.
    public static var current: Device { scoped ?? .default }
    @TaskLocal private static var scoped: Device?

    /// oneDNN's CPU engine, one for the process (so memory made on one device is valid on every other).
    nonisolated(unsafe) private static let sharedEngine: dnnl_engine_t = {  // made once, then only read
        var e: dnnl_engine_t?
        dnnlMust(dnnl_engine_create(&e, dnnl_cpu, 0), "engine_create")
        return e!
    }()

    /// The thread count every execution uses, whichever thread calls (OpenMP's own setting is per calling thread).
    private let threadCount: Atomic<Int>

    /// A device of its own, for work scoped to it with ``withCurrent(_:)``.
    /// - Parameters:
    ///   - threads: threads of oneDNN's pool for every execution on this device (at least 1).
    ///   - primitiveCacheLimit: most primitives (or per-shape plans) kept (see ``primitiveCacheLimit``).
    public init(threads: Int, primitiveCacheLimit: Int = 2048) {
        threadCount = Atomic(max(threads, 1))
        cache.limit = primitiveCacheLimit
        engine = Device.sharedEngine
        var s: dnnl_stream_t?
        dnnlMust(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "stream_create")
        stream = s!
    }

    /// Tunes the process's malloc (glibc) for training: blocks up to 32 MiB come from the heap instead of fresh
    /// mmap'd pages, and freed memory is not trimmed back to the kernel. An opt-in, since it changes the whole host
    /// program's allocator; `petal` and `petal-bench` call it first thing. Without it, glibc serves the large blocks of
    /// a training step with new pages until its threshold creeps up: the first ~10 bf16 ResNet-18 steps ran ~10×
    /// slower (docs/DESIGN-CHANGES.md). Does nothing on other C libraries.
    public static func keepFreedMemoryMapped() {
        petal_keep_freed_memory_mapped()
    }

    /// Runs `body` with this device as ``current`` (for this task and the child tasks it starts; threads it starts
    /// itself see ``default``).
    public func withCurrent<R>(_ body: () throws -> R) rethrows -> R {
        try Device.$scoped.withValue(self, operation: body)
    }

    /// Runs `body` with this device as ``current``, for async work.
    public func withCurrent<R>(_ body: () async throws -> R) async rethrows -> R {
        try await Device.$scoped.withValue(self, operation: body)
    }

    /// Empties the primitive cache and the buffer pool (primitives and buffers in use stay alive until released):
    /// for a long-lived program after a burst of work on many shapes.
    public func releaseCaches() {
        cache.removeAll()
        BufferPool.shared.removeAll()
    }

    /// Makes the calling thread's OpenMP team size the device's: before every execution (under `executionLock`) and
    /// before a primitive is made (oneDNN sizes its per-thread scratch space for the count then; see `Primitive.describe`).
    func applyThreadCount() {
        let wanted = Int32(threadCount.load(ordering: .relaxed))
        if omp_get_max_threads() != wanted { omp_set_num_threads(wanted) }
    }

    /// At least `bytes` of scratch space, 64-byte aligned. Call only under `executionLock`: one primitive runs at a time.
    func scratchpad(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > scratchpadCapacity {
            scratchpadBuffer?.deallocate()
            scratchpadBuffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            scratchpadCapacity = bytes
        }
        return scratchpadBuffer!
    }

    /// The recording that executions on the calling thread go into, if one is in progress there. Call under `executionLock`.
    var recordingOnThisThread: ExecutionRecording? {
        recordings.isEmpty ? nil : recordings.first { pthread_equal($0.thread, pthread_self()) != 0 }
    }

    /// Records into `recording` every execution the calling thread makes while `body` runs.
    func record<R>(into recording: ExecutionRecording, _ body: () throws -> R) rethrows -> R {
        executionLock.withLock {
            precondition(recordingOnThisThread == nil, "a thread makes one recording at a time")
            recordings.append(recording)
        }
        defer { executionLock.withLock { recordings.removeAll { $0 === recording } } }
        return try body()
    }

    /// Threads in oneDNN's compute pool, for every execution on this device whichever thread makes it. Defaults to
    /// every core (or `OMP_NUM_THREADS` when set).
    public var threads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set {
            precondition(newValue > 0, "Device.threads must be positive, got \(newValue)")
            threadCount.store(newValue, ordering: .relaxed)
            if self === Device.default { omp_set_num_threads(Int32(newValue)) }  // the program's own OpenMP work, too
        }
    }

    /// Most primitives (or per-shape plans) kept; the least recently used go first beyond it.
    public var primitiveCacheLimit: Int {
        get { cache.limit }
        set { cache.limit = newValue }
    }

    /// Whether oneDNN has AVX-512 kernels on this CPU (Petal's blocked layouts and single-image channels-last rule
    /// were chosen there; other CPUs compute the same values with other kernels and layouts).
    public var hasAVX512: Bool {
        let isa = dnnl_get_effective_cpu_isa().rawValue, avx512 = dnnl_cpu_isa_avx512_core.rawValue
        return isa & avx512 == avx512
    }

    /// The channel block of the blocked layout oneDNN's fastest kernels use on this CPU: nChw16c with AVX-512, nChw8c
    /// with AVX2, and nil elsewhere (inference then lets oneDNN choose). Asking an AVX2 CPU for 16-channel blocks gets
    /// oneDNN's reference kernels, about a thousand times slower (docs/DESIGN-CHANGES.md).
    static let nativeChannelBlock: Int? = {
        let isa = dnnl_get_effective_cpu_isa().rawValue
        if isa & dnnl_cpu_isa_avx512_core.rawValue == dnnl_cpu_isa_avx512_core.rawValue { return 16 }
        if isa & dnnl_cpu_isa_avx2.rawValue == dnnl_cpu_isa_avx2.rawValue { return 8 }
        return nil
    }()

    /// Whether oneDNN offers bf16 convolutions on this CPU (AVX512-BF16, AMX, or its AVX-512 emulation): asked once,
    /// by creating a small bf16 convolution.
    public var supportsBF16Convolutions: Bool { Device.bf16Probe }

    private static let bf16Probe: Bool = {
        let g = try? WindowGeometry(op: "bf16 probe", input: Size2D(8, 8), kernel: 3, stride: 1, padding: 1)
        guard let g else { return false }
        return (try? ConvolutionPlan(inputDims: [2, 16, 8, 8], weightDims: [16, 16, 3, 3], outputDims: [2, 16, 8, 8], geometry: g,
                                     hasBias: false, training: true, precision: .bf16)) != nil
    }()

    /// Number of distinct oneDNN primitives created so far (each is JIT-compiled once and reused).
    public var cachedPrimitiveCount: Int { cache.count }
}

/// How a convolution is computed.
public enum ConvolutionAlgorithm: String, Sendable, Codable, CaseIterable {
    /// oneDNN chooses per shape: Winograd F(4×4, 3×3) for fp32 3×3 stride-1 convolutions whose channels fill whole
    /// 16-channel blocks when the batch is large enough (more than 8 images in training, at least 4 in inference),
    /// direct otherwise. Winograd's elementwise stage does a quarter of the direct multiplications; its results
    /// differ from the exact sum by rounding only (within 1e-4 relative in the tests).
    case auto
    /// Always the direct sum, as PyTorch and TensorFlow compute on CPU.
    case direct

    var dnnl: dnnl_alg_kind_t { self == .auto ? dnnl_convolution_auto : dnnl_convolution_direct }
}

/// Numeric precision of a convolution: `.fp32`, or `.bf16` — inputs and weights rounded to bfloat16 for
/// oneDNN's AMX / AVX-512-BF16 kernels while training outputs, gradients, weights and every other op stay fp32
/// (mixed precision; bf16 keeps fp32's exponent range, so no loss scaling is needed). Inference outputs are bf16,
/// as under PyTorch's autocast; convolutions too small for AMX tiles (outputs of at most 7×7, inputs of fewer
/// than 16 channels) take their gradients in fp32.
public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, bf16
}
