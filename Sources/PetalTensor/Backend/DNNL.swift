// Thin Swift ownership of oneDNN 2.6 C objects (old op-descriptor API). Nothing here is public:
// Petal's users see tensors and ops, never oneDNN handles.
import CDNNL
import Dispatch

/// oneDNN execution-argument slots (DNNL_ARG_* in dnnl_types.h; some are macro aliases Swift does not import).
enum Arg {
    static let src: Int32 = 1, src1: Int32 = 2, dst: Int32 = 17, weights: Int32 = 33, bias: Int32 = 41
    static let mean: Int32 = 49, variance: Int32 = 50, scale: Int32 = 51, shift: Int32 = 52
    static let workspace: Int32 = 64, scratchpad: Int32 = 80
    static let diffSrc: Int32 = 129, diffDst: Int32 = 145, diffWeights: Int32 = 161, diffBias: Int32 = 169
    static let diffScale: Int32 = 255, diffShift: Int32 = 256
    static let multipleSrc: Int32 = 1024
}

/// Turns a oneDNN status into a Swift error naming the call that failed.
@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    guard status == dnnl_success else { throw TensorError.backend("\(what()) failed with oneDNN status \(status.rawValue)") }
}

/// Use only where failure means a broken invariant inside Petal (shapes were validated before).
@inline(__always)
func dnnlMust(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
    precondition(status == dnnl_success, "\(what()) failed with oneDNN status \(status.rawValue)")
}

/// A memory descriptor: logical dims plus a physical layout (plain or one of oneDNN's blocked formats).
struct MemoryDesc: @unchecked Sendable {
    var raw: dnnl_memory_desc_t

    init(raw: dnnl_memory_desc_t) { self.raw = raw }

    /// A descriptor with a format tag (`dnnl_format_tag_any` lets a primitive choose its preferred layout).
    init(dims: [Int], tag: dnnl_format_tag_t, type: dnnl_data_type_t = dnnl_f32) {
        var md = dnnl_memory_desc_t()
        let d = dims.map { Int64($0) }
        dnnlMust(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, tag), "memory_desc_init_by_tag \(dims)")
        raw = md
    }

    /// The dense row-major layout of `dims` (NCHW for 4-D, OIHW for weights, GOIHW for grouped weights).
    static func plain(_ dims: [Int]) -> MemoryDesc { MemoryDesc(dims: dims, tag: plainTag(rank: dims.count)) }

    static func any(_ dims: [Int], type: dnnl_data_type_t = dnnl_f32) -> MemoryDesc { MemoryDesc(dims: dims, tag: dnnl_format_tag_any, type: type) }

    var isFloat32: Bool { raw.data_type == dnnl_f32 }

    /// Whether this is an f32 strided or blocked layout, which oneDNN converts to and from any other. Winograd's
    /// pre-transformed weight format is neither: it is made from plain values and read by its convolution only.
    var isConvertibleFloat32: Bool { isFloat32 && raw.format_kind == dnnl_blocked }

    /// The same layout holding fp32 values (strides count elements, so only the type changes).
    var float32: MemoryDesc {
        var r = raw
        r.data_type = dnnl_f32
        return MemoryDesc(raw: r)
    }

    /// Whether this is Winograd's pre-transformed weight format (what an inference Winograd convolution reads).
    var isWinogradWeights: Bool { raw.format_kind == dnnl_format_kind_wino }

    static func plainTag(rank: Int) -> dnnl_format_tag_t {
        switch rank {
        case 1: dnnl_a
        case 2: dnnl_ab
        case 3: dnnl_abc
        case 4: dnnl_abcd
        case 5: dnnl_abcde
        default: dnnl_abcdef
        }
    }

    var byteCount: Int { withUnsafePointer(to: raw) { dnnl_memory_desc_get_size($0) } }

    var dims: [Int] {
        withUnsafeBytes(of: raw.dims) { Array($0.bindMemory(to: Int64.self).prefix(Int(raw.ndims))).map(Int.init) }
    }

    /// Whether this is `.plain(dims)`: dense row-major f32. Read from the fields rather than by building that
    /// descriptor, because every op asks (it was a few µs of each batch-1 op's overhead).
    var isPlain: Bool {
        let plain = raw.data_type == dnnl_f32 && raw.format_kind == dnnl_blocked && raw.offset0 == 0 && raw.extra.flags == 0
            && raw.format_desc.blocking.inner_nblks == 0 && isDenseRowMajor
        assert(plain == (self == .plain(dims)), "MemoryDesc.isPlain disagrees with oneDNN's comparison for \(dims)")
        return plain
    }

    private var isDenseRowMajor: Bool {
        withUnsafeBytes(of: raw.dims) { d in withUnsafeBytes(of: raw.padded_dims) { p in withUnsafeBytes(of: raw.padded_offsets) { o in
            withUnsafeBytes(of: raw.format_desc.blocking.strides) { s in
                let (d, p, o, s) = (d.bindMemory(to: Int64.self), p.bindMemory(to: Int64.self), o.bindMemory(to: Int64.self), s.bindMemory(to: Int64.self))
                var expected: Int64 = 1
                for i in stride(from: Int(raw.ndims) - 1, through: 0, by: -1) {
                    // As oneDNN's comparison: the stride of a dimension of size 1 is never used, so it may be anything.
                    guard p[i] == d[i], o[i] == 0, d[i] == 1 || s[i] == expected else { return false }
                    expected *= d[i]
                }
                return true
            }
        } } }
    }

    static func == (a: MemoryDesc, b: MemoryDesc) -> Bool {
        withUnsafePointer(to: a.raw) { pa in withUnsafePointer(to: b.raw) { pb in dnnl_memory_desc_equal(pa, pb) != 0 } }
    }
}

/// A oneDNN memory object. Either it owns a 64-byte-aligned buffer, or it borrows one kept alive by `owner`.
final class Memory: @unchecked Sendable {
    let handle: dnnl_memory_t
    let desc: MemoryDesc
    let data: UnsafeMutableRawPointer
    private let ownsData: Bool
    private let owner: AnyObject?

    /// Allocates (uninitialised) memory for `desc`.
    init(desc: MemoryDesc, device: Device = .current) {
        let buffer = BufferPool.shared.allocate(byteCount: desc.byteCount)
        data = buffer
        ownsData = true
        owner = nil
        self.desc = desc
        var h: dnnl_memory_t?
        var md = desc.raw
        dnnlMust(dnnl_memory_create(&h, &md, device.engine, buffer), "memory_create")
        handle = h!
    }

    /// Wraps a buffer owned by someone else (kept alive through `owner`).
    init(desc: MemoryDesc, borrowing data: UnsafeMutableRawPointer, owner: AnyObject, device: Device = .current) {
        self.data = data
        ownsData = false
        self.owner = owner
        self.desc = desc
        var h: dnnl_memory_t?
        var md = desc.raw
        dnnlMust(dnnl_memory_create(&h, &md, device.engine, data), "memory_create")
        handle = h!
    }

    deinit {
        dnnl_memory_destroy(handle)
        if ownsData { BufferPool.shared.release(data, byteCount: desc.byteCount) }
    }

    var floats: UnsafeMutablePointer<Float> { data.assumingMemoryBound(to: Float.self) }
    var floatCount: Int { desc.byteCount / MemoryLayout<Float>.stride }
}

/// A primitive descriptor plus the primitive made from it; both destroyed together.
final class Primitive: @unchecked Sendable {
    let pd: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    /// What it computes, e.g. "conv2d backward-weights" (names the row of an execution profile).
    let name: String

    /// The part of the device's shared scratchpad this primitive needs per execution (nil when it needs none or
    /// books its own), read once here rather than on every execution.
    private let scratchpad: (desc: dnnl_memory_desc_t, bytes: Int)?
    /// The oneDNN memory object pointing into the device scratchpad, made on first execution and re-pointed on each
    /// (the device may have grown the buffer); used under the device's execution lock only.
    private var scratchpadMemory: dnnl_memory_t?

    /// Whether it runs on the calling thread alone (see ``singleThreadBytes``).
    let singleThreaded: Bool

    /// Bytes of scratch space each execution borrows (0 when none).
    var scratchpadByteCount: Int { scratchpad?.bytes ?? 0 }

    /// Creates the primitive for an initialised op descriptor (`desc` points at a dnnl_*_desc_t).
    convenience init(opDesc: UnsafeRawPointer, hint: Primitive? = nil, attr: dnnl_primitive_attr_t? = nil,
         device: Device = .current, name: String) throws {
        let (pd, small) = try Primitive.describe(for: device) {
            var p: dnnl_primitive_desc_t?
            try withUserScratchpad(attr) { attr in
                try dnnlCheck(dnnl_primitive_desc_create(&p, opDesc, attr, device.engine, hint?.pd), "\(name) primitive_desc_create")
            }
            return p!
        }
        try self.init(pd: pd, name: name, singleThreaded: small)
    }

    /// The descriptor `create` makes for `device`'s thread count, made again for one thread when the primitive moves at
    /// most ``singleThreadBytes`` (kernels split their work when the descriptor is made), and whether it was.
    ///
    /// oneDNN books per-thread scratch space for the calling thread's OpenMP count and must never run a primitive with
    /// more threads than that; OpenMP's count is per thread and may be another device's, so the device's is set first
    /// (without it, a batch norm made on a thread that last ran one-thread work ran two threads on one thread's space).
    static func describe(for device: Device, _ create: () throws -> dnnl_primitive_desc_t) throws -> (pd: dnnl_primitive_desc_t, singleThreaded: Bool) {
        device.applyThreadCount()
        let pd = try create()
        guard bytesMoved(pd) <= singleThreadBytes else { return (pd, false) }
        dnnl_primitive_desc_destroy(pd)
        return (try onCallingThreadOnly(true, create), true)
    }

    /// Reorders and other primitives whose descriptor comes from a dedicated constructor.
    init(pd: dnnl_primitive_desc_t, name: String, singleThreaded: Bool = false) throws {
        self.pd = pd
        self.name = name
        self.singleThreaded = singleThreaded
        var prim: dnnl_primitive_t?
        try dnnlCheck(dnnl_primitive_create(&prim, pd), "\(name) primitive_create")
        primitive = prim!
        let scratchpadDesc = MemoryDesc(raw: dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)!.pointee)
        scratchpad = scratchpadDesc.byteCount > 0 ? (scratchpadDesc.raw, scratchpadDesc.byteCount) : nil
    }

    deinit {
        if let scratchpadMemory { dnnl_memory_destroy(scratchpadMemory) }
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(pd)
    }

    /// Bytes of the data a primitive reads and writes: sources, weights and destinations, or their gradients. 8-bit
    /// data counts as fp32 would: an int8 convolution does as many multiply-adds per element, and counted in its own
    /// bytes a batch-1 ResNet-18's int8 convolutions all ran on one thread (measured in docs/DESIGN-CHANGES.md).
    static func bytesMoved(_ pd: dnnl_primitive_desc_t) -> Int {
        [dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md, dnnl_query_diff_src_md, dnnl_query_diff_weights_md,
         dnnl_query_diff_dst_md].reduce(0) { total, query in
            guard let md = dnnl_primitive_desc_query_md(pd, query, 0) else { return total }
            let widening = md.pointee.data_type == dnnl_s8 || md.pointee.data_type == dnnl_u8 ? 4 : 1
            return total + dnnl_memory_desc_get_size(md) * widening
        }
    }

    func desc(_ query: dnnl_query_t, _ index: Int32 = 0) -> MemoryDesc {
        MemoryDesc(raw: dnnl_primitive_desc_query_md(pd, query, index)!.pointee)
    }

    /// The implementation oneDNN picked, e.g. `jit:avx512_core` (what ONEDNN_VERBOSE prints).
    var implementation: String {
        var cstr: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &cstr)
        return cstr.map { String(cString: $0) } ?? "?"
    }

    /// Names this primitive in a per-shape profile: kind, implementation, and source → destination dimensions.
    private(set) lazy var profileLabel: String = {
        func dims(_ query: dnnl_query_t) -> String { guard let md = dnnl_primitive_desc_query_md(pd, query, 0) else { return "?" }; return "\(MemoryDesc(raw: md.pointee).dims)" }
        return "\(name) [\(implementation)] \(dims(dnnl_query_src_md)) → \(dims(dnnl_query_dst_md))"
    }()

    /// Which arguments disagree with the layouts the primitive expects (for failure messages).
    func argumentReport(_ args: [(Int32, Memory)]) -> String {
        args.map { arg, memory in
            let expected = MemoryDesc(raw: dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg)!.pointee)
            return "arg \(arg): \(expected == memory.desc ? "ok" : "layout differs (dims \(memory.desc.dims) vs \(expected.dims))")"
        }.joined(separator: ", ")
    }

    func execute(_ args: [(Int32, Memory)], device: Device = .current) {
        let raw = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        // One primitive at a time per device: the stream is shared, and two threads each driving the
        // OpenMP pool would oversubscribe the cores (each caller thread gets its own team of threads).
        let status = device.executionLock.withLock {
            device.recordingOnThisThread?.record(self, raw, keeping: args.map(\.1))
            return run(raw, device: device)
        }
        precondition(status == dnnl_success, "oneDNN \(implementation) execute failed (status \(status.rawValue)); " + argumentReport(args))
    }

    /// Executes with `args` plus the device scratchpad and waits for the result. Call under the device's execution lock.
    func run(_ args: [dnnl_exec_arg_t], device: Device) -> dnnl_status_t {
        var raw = args
        if let (desc, bytes) = scratchpad {
            if let scratchpadMemory {
                dnnlMust(dnnl_memory_set_data_handle(scratchpadMemory, device.scratchpad(bytes)), "scratchpad set_data_handle")
            } else {
                var md = desc
                dnnlMust(dnnl_memory_create(&scratchpadMemory, &md, device.engine, device.scratchpad(bytes)), "scratchpad memory_create")
            }
            raw.append(dnnl_exec_arg_t(arg: Arg.scratchpad, memory: scratchpadMemory))
        }
        let start = device.profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
        device.applyThreadCount()
        let status = onCallingThreadOnly(singleThreaded) {
            let status = dnnl_primitive_execute(primitive, device.stream, Int32(raw.count), raw)
            if status == dnnl_success { dnnlMust(dnnl_stream_wait(device.stream), "stream_wait") }
            return status
        }
        device.profile?.add(self, nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        return status
    }
}

/// Primitives that read and write at most this many bytes run on the calling thread alone: waking oneDNN's second
/// thread costs more than it saves there (a batch-1 prediction's input conversion, global pooling and classifier;
/// docs/DESIGN-CHANGES.md).
let singleThreadBytes = 256 << 10

/// Runs `body` with oneDNN limited to the calling thread when `on` (OpenMP's thread count is per calling thread).
@inline(__always)
func onCallingThreadOnly<R>(_ on: Bool, _ body: () throws -> R) rethrows -> R {
    guard on else { return try body() }
    let threads = omp_get_max_threads()
    omp_set_num_threads(1)
    defer { omp_set_num_threads(threads) }
    return try body()
}

/// Runs `body` with `attr` (or a new attribute when nil) set to take its scratchpad from the caller: every Petal
/// primitive then shares one device buffer (`Device.scratchpad`) instead of allocating its own on each execution,
/// which lowers peak memory (docs/DESIGN-CHANGES.md).
func withUserScratchpad<R>(_ attr: dnnl_primitive_attr_t?, _ body: (dnnl_primitive_attr_t?) throws -> R) throws -> R {
    var created: dnnl_primitive_attr_t?
    if attr == nil { try dnnlCheck(dnnl_primitive_attr_create(&created), "primitive_attr_create") }
    defer { if let created { dnnl_primitive_attr_destroy(created) } }
    let a = attr ?? created
    try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "primitive_attr_set_scratchpad_mode")
    return try body(a)
}

/// Copies `src` into a new memory of layout `dst` (or returns `src` when the layouts already agree).
func reorder(_ src: Memory, to dst: MemoryDesc, device: Device = .current) -> Memory {
    if src.desc == dst { return src }
    let out = Memory(desc: dst, device: device)
    reorder(src, into: out, device: device)
    return out
}

/// Same-layout copies up to this size are a memcpy on the calling thread: waking oneDNN's second thread costs more.
/// (A batch-1 ResNet-18 prediction copies eight residuals of 32–160 KB into the outputs their sums accumulate in.)
let sameLayoutCopyBytes = 512 << 10

func reorder(_ src: Memory, into dst: Memory, device: Device = .current) {
    if src.desc == dst.desc, src.desc.byteCount <= sameLayoutCopyBytes {
        dst.data.copyMemory(from: src.data, byteCount: src.desc.byteCount)
        device.executionLock.withLock { device.recordingOnThisThread?.recordCopy(from: src, to: dst) }
        return
    }
    let key = PrimitiveKey("reorder", src.desc, dst.desc)
    let prim = try! device.cache.primitive(key) {
        var s = src.desc.raw, d = dst.desc.raw
        let (pd, small) = try Primitive.describe(for: device) {
            var pd: dnnl_primitive_desc_t?
            try withUserScratchpad(nil) { attr in try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &s, device.engine, &d, device.engine, attr),
                          "reorder \(src.desc.dims) \(src.desc.formatName) → \(dst.desc.formatName)") }
            return pd!
        }
        return try Primitive(pd: pd, name: "reorder", singleThreaded: small)
    }
    prim.execute([(Arg.from, src), (Arg.to, dst)], device: device)
}

extension Arg {
    static let from: Int32 = 1, to: Int32 = 17
}

/// Passes a pointer to `value`, or nil when there is none (optional descriptors such as a bias).
func withOptionalPointer<T, R>(_ value: T?, _ body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
    guard var v = value else { return try body(nil) }
    return try withUnsafePointer(to: &v) { try body($0) }
}

extension MemoryDesc {
    /// A short name for a 4-D layout: its dimension order plus any inner block, e.g. `acdb` or `aBcd16b`.
    var formatName: String {
        guard raw.format_kind == dnnl_blocked else { return isWinogradWeights ? "winograd" : "?" }
        let b = raw.format_desc.blocking
        let strides = withUnsafeBytes(of: b.strides) { Array($0.bindMemory(to: Int64.self).prefix(Int(raw.ndims))) }
        let order = (0..<Int(raw.ndims)).sorted { strides[$0] > strides[$1] }
        let inner = withUnsafeBytes(of: b.inner_blks) { Array($0.bindMemory(to: Int64.self).prefix(Int(b.inner_nblks))) }
        let innerIdx = withUnsafeBytes(of: b.inner_idxs) { Array($0.bindMemory(to: Int64.self).prefix(Int(b.inner_nblks))) }
        let letters = Array("abcdef")
        return String(order.map { i in innerIdx.contains(Int64(i)) ? Character(letters[i].uppercased()) : letters[i] })
            + zip(inner, innerIdx).map { "\($0)\(letters[Int($1)])" }.joined() + (raw.data_type == dnnl_bf16 ? ":bf16" : "")
    }
}
