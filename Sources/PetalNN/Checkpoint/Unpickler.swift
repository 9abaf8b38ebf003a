// A restricted reader of Python pickles: it understands only what a PyTorch state dict needs and executes nothing.
// Every global a pickle names is checked against a short allow-list (OrderedDict, the tensor rebuild functions, the
// storage types) before anything is built; any other global or opcode is an error naming it. That is the guarantee
// of PyTorch's own `torch.load(weights_only=True)`: a malicious `.pth` can only fail.
// Reference: Python's Lib/pickle.py and pickletools (protocol 2, what `torch.save` writes).

/// A value of the restricted pickle machine.
indirect enum PickleValue {
    case none, bool(Bool), int(Int), float(Double), string(String), bytes([UInt8])
    case tuple([PickleValue]), list([PickleValue]), dict([(key: PickleValue, value: PickleValue)])
    /// An allow-listed global, not yet called.
    case global(String)
    /// A persistent id: one storage of the archive (`data/<key>`) and the elements it says it holds.
    case storage(type: String, key: String, elements: Int?)
    /// A tensor view of a storage.
    case tensor(PickledTensor)

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int? { if case .int(let i) = self { i } else if case .bool(let b) = self { b ? 1 : 0 } else { nil } }
    var ints: [Int]? {
        if case .tuple(let items) = self { let v = items.compactMap(\.int); return v.count == items.count ? v : nil }
        return nil
    }
}

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, …)`, kept as a description until the
/// storage's bytes are read.
struct PickledTensor {
    let storageType: String, storageKey: String, storageElements: Int?
    let offset: Int, size: [Int], stride: [Int]
}

/// Why a pickle was refused.
struct UnpicklingError: Error, CustomStringConvertible {
    let description: String
}

/// The restricted pickle machine.
struct Unpickler {
    /// The globals a state dict may name; anything else is refused before it is used.
    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage",
        "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    ]

    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Runs the pickle to its STOP and returns the value it built.
    mutating func load() throws -> PickleValue {
        while true {
            let op = try byte()
            switch op {
            case 0x80: _ = try byte()                                   // PROTO
            case 0x95: position += 8                                    // FRAME (protocol 4)
            case 0x2E: return try pop()                                 // STOP
            case 0x28: marks.append(stack.count)                        // MARK
            case 0x29: stack.append(.tuple([]))                         // EMPTY_TUPLE
            case 0x5D: stack.append(.list([]))                          // EMPTY_LIST
            case 0x7D: stack.append(.dict([]))                          // EMPTY_DICT
            case 0x4E: stack.append(.none)                              // NONE
            case 0x88: stack.append(.bool(true))                        // NEWTRUE
            case 0x89: stack.append(.bool(false))                       // NEWFALSE
            case 0x4B: stack.append(.int(Int(try byte())))              // BININT1
            case 0x4D: stack.append(.int(Int(try little(2))))           // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try little(4)))))  // BININT
            case 0x8A: stack.append(.int(try long1()))                  // LONG1
            case 0x47: stack.append(.float(Double(bitPattern: try big(8))))  // BINFLOAT
            case 0x58: stack.append(.string(try text(Int(try little(4)))))   // BINUNICODE
            case 0x8C: stack.append(.string(try text(Int(try byte()))))      // SHORT_BINUNICODE
            case 0x43: stack.append(.bytes(try take(Int(try byte()))))       // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(try take(Int(try little(4)))))    // BINBYTES
            case 0x85: stack.append(.tuple(try nestable([try pop()])))       // TUPLE1
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple(try nestable([a, b])))           // TUPLE2
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple(try nestable([a, b, c])))  // TUPLE3
            case 0x74: stack.append(.tuple(try nestable(try popMark())))     // TUPLE
            case 0x6C: stack.append(.list(try nestable(try popMark())))      // LIST
            case 0x71: memo[Int(try byte())] = try top()                     // BINPUT
            case 0x72: memo[Int(try little(4))] = try top()                  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top()                          // MEMOIZE
            case 0x68: stack.append(try recall(Int(try byte())))             // BINGET
            case 0x6A: stack.append(try recall(Int(try little(4))))          // LONG_BINGET
            case 0x63: try pushGlobal(try line() + "." + line())             // GLOBAL
            case 0x93: let name = try pop(), module = try pop()              // STACK_GLOBAL
                guard let m = module.string, let n = name.string else { throw UnpicklingError(description: "STACK_GLOBAL needs two strings") }
                try pushGlobal(m + "." + n)
            case 0x51: stack.append(try persistent(try pop()))               // BINPERSID
            case 0x52: let args = try pop(), callable = try pop(); stack.append(try call(callable, args))  // REDUCE
            case 0x62: let state = try pop()                                 // BUILD
                guard case .dict = try top(), case .dict = state else { throw UnpicklingError(description: "BUILD is allowed only to set a dictionary's metadata") }
            case 0x73: let value = try pop(), key = try pop(); try setItems([(key, value)])  // SETITEM
            case 0x75: let items = try popMark()                             // SETITEMS
                guard items.count % 2 == 0 else { throw UnpicklingError(description: "SETITEMS with an odd number of values") }
                try setItems(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
            case 0x61: let value = try pop(); try append([value])            // APPEND
            case 0x65: try append(try popMark())                             // APPENDS
            default:
                throw UnpicklingError(description: "unsupported pickle opcode 0x\(String(op, radix: 16)) at byte \(position - 1)")
            }
        }
    }

    private mutating func pushGlobal(_ name: String) throws {
        guard Self.allowedGlobals.contains(name) else {
            throw UnpicklingError(description: "it names the global '\(name)', which a state dict never needs (refused, nothing was run)")
        }
        stack.append(.global(name))
    }

    private func persistent(_ pid: PickleValue) throws -> PickleValue {
        guard case .tuple(let items) = pid, items.count >= 3, items[0].string == "storage", case .global(let type) = items[1],
              let key = items[2].string else {
            throw UnpicklingError(description: "a persistent id that is not a storage reference")
        }
        return .storage(type: type, key: key, elements: items.count > 4 ? items[4].int.flatMap { $0 >= 0 ? $0 : nil } : nil)
    }

    private func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let name) = callable, case .tuple(let a) = args else {
            throw UnpicklingError(description: "REDUCE of something that is not an allowed global")
        }
        switch name {
        case "collections.OrderedDict":
            return .dict([])
        case "torch._utils._rebuild_tensor_v2":
            guard a.count >= 4, case .storage(let type, let key, let elements) = a[0], let offset = a[1].int, let size = a[2].ints, let stride = a[3].ints,
                  size.count == stride.count, offset >= 0, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
                throw UnpicklingError(description: "a malformed tensor (storage, offset, size, stride)")
            }
            return .tensor(PickledTensor(storageType: type, storageKey: key, storageElements: elements, offset: offset, size: size, stride: stride))
        case "torch._utils._rebuild_parameter":
            guard let first = a.first, case .tensor = first else { throw UnpicklingError(description: "a parameter without its tensor") }
            return first
        default:
            throw UnpicklingError(description: "'\(name)' cannot be called")
        }
    }

    /// How deep containers may nest. A state dict is a few levels deep; a crafted pickle a million levels deep would
    /// overflow the stack when its value is released (or walked), so it is refused as it is built.
    static let maximumNesting = 64
    /// How many values the containers' checks may walk in one pickle. The memo lets a few hundred bytes build a
    /// container whose items are one container reused, 60 levels over: 2⁶⁰ values to walk. A state dict of a
    /// thousand tensors walks a few thousand.
    static let maximumWalk = 20_000_000
    private var walked = 0

    /// Containers nested inside `value`, counting itself (0 for a scalar, a string or a tensor), counting every value
    /// visited against ``maximumWalk``. Only called on values built here, whose nesting is already bounded, so the
    /// recursion is too.
    private mutating func nesting(_ value: PickleValue) throws -> Int {
        walked += 1
        guard walked <= Self.maximumWalk else {
            throw UnpicklingError(description: "its containers reuse one another into more than \(Self.maximumWalk.formatted()) values (a state dict holds a few thousand)")
        }
        switch value {
        case .tuple(let items), .list(let items): return 1 + (try items.map { try nesting($0) }.max() ?? 0)
        case .dict(let entries): return 1 + (try entries.map { max(try nesting($0.key), try nesting($0.value)) }.max() ?? 0)
        default: return 0
        }
    }

    /// `items`, checked to be shallow enough to go into a container.
    private mutating func nestable(_ items: [PickleValue]) throws -> [PickleValue] {
        if let deepest = try items.map({ try nesting($0) }).max(), deepest >= Self.maximumNesting {
            throw UnpicklingError(description: "containers nested more than \(Self.maximumNesting) deep (a state dict is a few levels deep)")
        }
        return items
    }

    private mutating func setItems(_ pairs: [(PickleValue, PickleValue)]) throws {
        _ = try nestable(pairs.flatMap { [$0.0, $0.1] })
        guard case .dict(var entries) = try pop() else { throw UnpicklingError(description: "SETITEM on something that is not a dictionary") }
        entries += pairs.map { (key: $0.0, value: $0.1) }
        // Values are immutable here: a memo slot keeps the dictionary as it was when stored. A state dict never
        // recalls a container after filling it (torch.save writes each one once).
        stack.append(.dict(entries))
    }

    private mutating func append(_ values: [PickleValue]) throws {
        _ = try nestable(values)
        guard case .list(var items) = try pop() else { throw UnpicklingError(description: "APPEND on something that is not a list") }
        items += values
        stack.append(.list(items))
    }

    // MARK: Reading bytes

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw UnpicklingError(description: "the pickle ends early, without STOP") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ n: Int) throws -> [UInt8] {
        guard n >= 0, n <= bytes.count - position else { throw UnpicklingError(description: "the pickle ends inside a value") }
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    private mutating func little(_ n: Int) throws -> UInt64 {
        try take(n).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func big(_ n: Int) throws -> UInt64 {
        try take(n).reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func long1() throws -> Int {
        let n = Int(try byte())
        guard n <= 8 else { throw UnpicklingError(description: "an integer of \(n) bytes") }
        let raw = try take(n)
        guard !raw.isEmpty else { return 0 }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if raw.last! & 0x80 != 0 && n < 8 { value |= ~UInt64(0) << UInt64(8 * n) }  // sign-extend
        return Int(truncatingIfNeeded: value)
    }

    private mutating func text(_ n: Int) throws -> String {
        guard let s = String(validating: try take(n), as: UTF8.self) else { throw UnpicklingError(description: "a string that is not UTF-8") }
        return s
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw UnpicklingError(description: "a GLOBAL without its end of line") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw UnpicklingError(description: "the pickle pops an empty stack") }
        return v
    }

    private func top() throws -> PickleValue {
        guard let v = stack.last else { throw UnpicklingError(description: "the pickle reads an empty stack") }
        return v
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw UnpicklingError(description: "a MARK is missing") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func recall(_ key: Int) throws -> PickleValue {
        guard let v = memo[key] else { throw UnpicklingError(description: "a memo entry \(key) that was never stored") }
        return v
    }
}
