#if canImport(Glibc)
import Glibc
#endif

/// A restricted reader for Python pickles (protocol 2 and the binary opcodes below it), enough for the
/// Planetoid graph files: numpy arrays, scipy CSR matrices, lists, dicts and `defaultdict`s.
///
/// It never runs code from the file. `GLOBAL` only records a module and a name; `REDUCE` and `NEWOBJ`
/// build a `PickleObject` that remembers the callable and its arguments; `BUILD` stores the state on it.
/// Interpreting those objects (what an `ndarray` is, say) is the caller's job.
///
/// Lists, dicts and objects are classes, so a value memoised and later mutated (`APPENDS` after
/// `BINPUT`) is the same value everywhere it is referenced, as in Python. A malicious file can
/// therefore build a cycle (a list that contains itself); nothing here walks values recursively.
///
/// Supported opcodes: PROTO, STOP, MARK, the BIN* integers and BINFLOAT, NONE, NEWTRUE, NEWFALSE,
/// SHORT_BINSTRING, BINSTRING, BINUNICODE, SHORT_BINBYTES, BINBYTES, EMPTY_TUPLE, TUPLE, TUPLE1-3,
/// EMPTY_LIST, APPEND, APPENDS, EMPTY_DICT, SETITEM, SETITEMS, GLOBAL, REDUCE, NEWOBJ, BUILD, and the
/// BINPUT/BINGET memo opcodes (short and long). Anything else is an error, as are truncated data, a
/// stack underflow (also past a MARK), a memo miss, and a length field longer than the bytes left.
/// Bytes after STOP are ignored, as Python does.
public enum PickleReader {
    /// Reads the pickle in the file at `path`.
    ///
    /// - Throws: `DataError.unreadable` if the file cannot be read, `DataError.malformed` (line 0; the
    ///   byte offset and opcode are in the reason) if the bytes are not a pickle this reader supports.
    public static func read(path: String) throws(DataError) -> PickleValue {
        try decode(readBinaryFile(path), path: path)
    }

    /// Decodes one pickle from `bytes`; `path` only names the source in errors.
    ///
    /// - Complexity: O(bytes); no allocation exceeds the input size.
    /// - Throws: `DataError.malformed` with line 0 and the byte offset and opcode in the reason.
    public static func decode(_ bytes: [UInt8], path: String) throws(DataError) -> PickleValue {
        var machine = Machine(bytes: bytes, path: path)
        return try machine.run()
    }
}

/// A value read from a pickle.
public enum PickleValue {
    /// Python's `None`.
    case none
    /// `True` or `False`.
    case bool(Bool)
    /// An integer that fits the BININT opcodes (32-bit signed at most).
    case int(Int)
    /// A Python `float` (BINFLOAT).
    case float(Double)
    /// A Python 2 `str` or Python 3 `bytes`: raw bytes (Planetoid's dict keys and array buffers).
    case bytes([UInt8])
    /// A Python `unicode` / Python 3 `str`.
    case string(String)
    /// A tuple (immutable, so a value copy is faithful).
    case tuple([PickleValue])
    /// A list, shared by reference.
    case list(PickleList)
    /// A dict, shared by reference.
    case dict(PickleDict)
    /// A `GLOBAL` reference, recorded by name and never resolved.
    case global(module: String, name: String)
    /// The result of `REDUCE` or `NEWOBJ`.
    case object(PickleObject)

    /// The text of a `.bytes` (as Latin-1, how Python 3 reads Python 2 strings) or `.string` value.
    public var text: String? {
        switch self {
        case let .string(text): return text
        case let .bytes(bytes): return String(bytes.map { Character(Unicode.Scalar($0)) })
        default: return nil
        }
    }

    /// A short name of the value's kind for error messages (never recursive, so safe on cycles).
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .bytes: return "str"
        case .string: return "unicode"
        case let .tuple(items): return "tuple of \(items.count)"
        case .list: return "list"
        case .dict: return "dict"
        case let .global(module, name): return "global \(module).\(name)"
        case let .object(object): return "object of \(object.typeName)"
        }
    }
}

/// A Python list (reference semantics, like Python's).
public final class PickleList {
    /// The elements in order.
    public internal(set) var items: [PickleValue] = []
    init() {}
}

/// A Python dict (reference semantics). Keys that are scalars (int, bool, str, unicode, None) replace an
/// earlier equal key, as in Python; other keys are kept side by side in insertion order.
public final class PickleDict {
    /// The key/value pairs in insertion order.
    public private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var positions: [ScalarKey: Int] = [:]
    init() {}

    /// The value stored under the text key `key` (`str` or `unicode`), if any.
    public subscript(text key: String) -> PickleValue? {
        positions[.text(key)].map { entries[$0].value }
    }

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let scalar = ScalarKey(key) {
            if let position = positions[scalar] { entries[position].value = value; return }
            positions[scalar] = entries.count
        }
        entries.append((key, value))
    }

    private enum ScalarKey: Hashable {
        case none, int(Int), text(String)
        init?(_ value: PickleValue) {
            switch value {
            case .none: self = .none
            case let .int(number): self = .int(number)
            case let .bool(flag): self = .int(flag ? 1 : 0)  // Python: True == 1
            case .bytes, .string: self = .text(value.text ?? "")
            default: return nil
            }
        }
    }
}

/// What `REDUCE` (callable, arguments) or `NEWOBJ` (class, arguments) would have built, never built.
public final class PickleObject {
    /// The callable or class, normally a `.global`.
    public let callable: PickleValue
    /// The argument tuple's elements.
    public let arguments: [PickleValue]
    /// The `BUILD` state, if any.
    public internal(set) var state: PickleValue?
    /// Items added by `SETITEM(S)` (a `defaultdict`'s contents).
    public let dictItems = PickleDict()
    /// Items added by `APPEND(S)`.
    public internal(set) var listItems: [PickleValue] = []

    init(callable: PickleValue, arguments: [PickleValue]) {
        self.callable = callable
        self.arguments = arguments
    }

    /// `module.name` of the callable, or its kind if it is not a global.
    public var typeName: String {
        if case let .global(module, name) = callable { return "\(module).\(name)" }
        return callable.kindName
    }
}

// MARK: - The virtual machine

private struct Machine {
    let bytes: [UInt8]
    let path: String
    var offset = 0
    var opcodeOffset = 0
    var opcode: UInt8 = 0
    var stack: [PickleValue] = []
    /// Stack heights at each open MARK; popping below the innermost one is an underflow.
    var marks: [Int] = []
    var memo: [UInt32: PickleValue] = [:]

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    func fail(_ reason: String) -> DataError {
        let name = Machine.opcodeNames[opcode].map { " \($0)" } ?? ""
        let code = String(opcode, radix: 16)
        return .malformed(
            path: path, line: 0, reason: "pickle byte \(opcodeOffset), opcode 0x\(code)\(name): \(reason)")
    }

    mutating func run() throws(DataError) -> PickleValue {
        while offset < bytes.count {
            opcodeOffset = offset
            opcode = bytes[offset]
            offset += 1
            switch opcode {
            case 0x80: _ = try take(1)  // PROTO n: any version, since only supported opcodes get through
            case 0x2E:  // STOP
                guard marks.isEmpty else { throw fail("MARK left open at STOP") }
                return try pop()
            case 0x28: marks.append(stack.count)  // MARK
            case 0x4A: push(.int(Int(Int32(bitPattern: try uint32()))))  // BININT
            case 0x4B: push(.int(Int(try littleEndian(1))))  // BININT1
            case 0x4D: push(.int(Int(try littleEndian(2))))  // BININT2
            case 0x47:  // BINFLOAT: big-endian IEEE double
                let raw = try take(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                push(.float(Double(bitPattern: raw)))
            case 0x4E: push(.none)  // NONE
            case 0x88: push(.bool(true))  // NEWTRUE
            case 0x89: push(.bool(false))  // NEWFALSE
            case 0x55, 0x43:  // SHORT_BINSTRING, SHORT_BINBYTES: 1-byte length
                let length = Int(try littleEndian(1))
                push(.bytes(Array(try take(length))))
            case 0x54:  // BINSTRING: signed 4-byte length
                let length = Int32(bitPattern: try uint32())
                guard length >= 0 else { throw fail("negative length \(length)") }
                push(.bytes(Array(try take(Int(length)))))
            case 0x42:  // BINBYTES: unsigned 4-byte length
                let length = Int(try uint32())
                push(.bytes(Array(try take(length))))
            case 0x58:  // BINUNICODE: unsigned 4-byte length, UTF-8
                let length = Int(try uint32())
                let raw = try take(length)
                guard let text = String(validating: raw, as: UTF8.self) else { throw fail("invalid UTF-8") }
                push(.string(text))
            case 0x29: push(.tuple([]))  // EMPTY_TUPLE
            case 0x74: push(.tuple(try popToMark()))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items = [PickleValue]()
                for _ in 0..<Int(opcode - 0x84) { items.append(try pop()) }
                push(.tuple(items.reversed()))
            case 0x5D: push(.list(PickleList()))  // EMPTY_LIST
            case 0x7D: push(.dict(PickleDict()))  // EMPTY_DICT
            case 0x61: try append([try pop()])  // APPEND
            case 0x65: try append(try popToMark())  // APPENDS
            case 0x73:  // SETITEM
                let value = try pop()
                let key = try pop()
                try setItems([key, value])
            case 0x75: try setItems(try popToMark())  // SETITEMS
            case 0x63:  // GLOBAL: "module\nname\n"
                let module = try line()
                let name = try line()
                push(.global(module: module, name: name))
            case 0x52, 0x81:  // REDUCE (callable, args), NEWOBJ (class, args): recorded, never called
                guard case let .tuple(arguments) = try pop() else { throw fail("arguments are not a tuple") }
                let callable = try pop()
                push(.object(PickleObject(callable: callable, arguments: arguments)))
            case 0x62:  // BUILD
                let state = try pop()
                let target = try top()
                guard case let .object(object) = target else { throw fail("BUILD on \(target.kindName)") }
                object.state = state
            case 0x71: try store(UInt32(try littleEndian(1)))  // BINPUT
            case 0x72: try store(try uint32())  // LONG_BINPUT
            case 0x68: push(try memoValue(UInt32(try littleEndian(1))))  // BINGET
            case 0x6A: push(try memoValue(try uint32()))  // LONG_BINGET
            default: throw fail("unsupported opcode")
            }
        }
        throw .malformed(path: path, line: 0, reason: "pickle byte \(offset): data ends before STOP (truncated)")
    }

    // MARK: Stack

    mutating func push(_ value: PickleValue) { stack.append(value) }

    mutating func store(_ key: UInt32) throws(DataError) { memo[key] = try top() }

    mutating func pop() throws(DataError) -> PickleValue {
        guard stack.count > (marks.last ?? 0) else { throw fail("stack underflow") }
        return stack.removeLast()
    }

    func top() throws(DataError) -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else { throw fail("stack underflow") }
        return value
    }

    mutating func popToMark() throws(DataError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw fail("no MARK") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    func memoValue(_ key: UInt32) throws(DataError) -> PickleValue {
        guard let value = memo[key] else { throw fail("memo key \(key) was never stored") }
        return value
    }

    mutating func append(_ items: [PickleValue]) throws(DataError) {
        switch try top() {
        case let .list(list): list.items.append(contentsOf: items)
        case let .object(object): object.listItems.append(contentsOf: items)
        case let other: throw fail("cannot append to \(other.kindName)")
        }
    }

    mutating func setItems(_ items: [PickleValue]) throws(DataError) {
        guard items.count % 2 == 0 else { throw fail("odd number of items (\(items.count)) for key/value pairs") }
        let target: PickleDict
        switch try top() {
        case let .dict(dict): target = dict
        case let .object(object): target = object.dictItems
        case let other: throw fail("cannot set items on \(other.kindName)")
        }
        for pair in stride(from: 0, to: items.count, by: 2) { target.set(items[pair], items[pair + 1]) }
    }

    // MARK: Bytes

    /// The next `count` bytes; a count beyond the data left is an error, never an allocation.
    mutating func take(_ count: Int) throws(DataError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - offset else {
            throw fail("needs \(count) bytes at byte \(offset), only \(bytes.count - offset) left (truncated)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func littleEndian(_ count: Int) throws(DataError) -> UInt64 {
        try take(count).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    mutating func uint32() throws(DataError) -> UInt32 { UInt32(try littleEndian(4)) }

    /// An ASCII text line ended by "\n" (GLOBAL's operands).
    mutating func line() throws(DataError) -> String {
        guard let end = bytes[offset...].firstIndex(of: 0x0A) else {
            throw fail("unterminated GLOBAL name (truncated)")
        }
        let raw = bytes[offset..<end]
        guard raw.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { throw fail("GLOBAL name is not printable ASCII") }
        offset = end + 1
        return String(decoding: raw, as: UTF8.self)
    }

    static let opcodeNames: [UInt8: String] = [
        0x80: "PROTO", 0x2E: "STOP", 0x28: "MARK", 0x4A: "BININT", 0x4B: "BININT1", 0x4D: "BININT2",
        0x47: "BINFLOAT", 0x4E: "NONE", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x55: "SHORT_BINSTRING",
        0x43: "SHORT_BINBYTES", 0x54: "BINSTRING", 0x42: "BINBYTES", 0x58: "BINUNICODE", 0x29: "EMPTY_TUPLE",
        0x74: "TUPLE", 0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3", 0x5D: "EMPTY_LIST", 0x7D: "EMPTY_DICT",
        0x61: "APPEND", 0x65: "APPENDS", 0x73: "SETITEM", 0x75: "SETITEMS", 0x63: "GLOBAL", 0x52: "REDUCE",
        0x81: "NEWOBJ", 0x62: "BUILD", 0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x68: "BINGET", 0x6A: "LONG_BINGET",
    ]
}

// MARK: - Files

/// Reads a whole file as bytes using libc only (FedCore stays free of Foundation).
///
/// - Throws: `DataError.unreadable` naming the path and the system's reason.
public func readBinaryFile(_ path: String) throws(DataError) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw .unreadable(path: path, reason: String(cString: strerror(errno)))
    }
    defer { fclose(file) }
    var bytes = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let read = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
        if read > 0 { bytes.append(contentsOf: chunk[0..<read]) }
        if read < chunk.count { break }
    }
    if ferror(file) != 0 { throw .unreadable(path: path, reason: "read error") }
    return bytes
}
