/// A named, shaped tensor of Float32 values (row-major).
public struct NamedTensor: Sendable, Equatable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    /// Sparse rows (DESIGN §10): when set, the tensor holds only these rows (strictly ascending ids)
    /// of the table `name`, `shape[0] == rowIDs.count`; the table's full height comes from the
    /// receiver's layout. Nil for a whole tensor.
    public var rowIDs: [Int32]?

    public init(name: String, shape: [Int], values: [Float], rowIDs: [Int32]? = nil) {
        precondition(shape.reduce(1, *) == values.count, "tensor \(name): shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        precondition(rowIDs == nil || rowIDs?.count == shape.first, "tensor \(name): \(rowIDs?.count ?? 0) row ids for shape \(shape)")
        self.name = name
        self.shape = shape
        self.values = values
        self.rowIDs = rowIDs
    }

    /// Rows `ids` (ascending) of a row-major table `name` of `width` columns.
    public init(name: String, rows ids: [Int32], of table: UnsafeBufferPointer<Float>, width: Int) {
        var values = [Float](repeating: 0, count: ids.count * width)
        for (row, id) in ids.enumerated() {
            for k in 0..<width { values[row * width + k] = table[Int(id) * width + k] }
        }
        self.init(name: name, shape: [ids.count, width], values: values, rowIDs: ids)
    }
}

/// Where each named parameter tensor lives inside a model's one flat parameter buffer.
///
/// Parameters, gradients and optimiser state share this layout, so averaging, masking and
/// serialising are single loops over one buffer, and the named tensors are views of it.
public struct ParameterLayout: Sendable, Equatable {
    /// One named tensor's place in the flat buffer.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        /// Who holds the tensor's values (DESIGN §10): aggregated, kept by its client, or fixed.
        public var role: ParameterRole = .shared
        /// Whether messages may carry only some rows of this table (`NamedTensor.rowIDs`).
        public var travelsAsRows = false
        public var count: Int { shape.reduce(1, *) }
    }

    public private(set) var entries: [Entry]
    /// Total number of scalars.
    public let totalCount: Int

    /// Lays the tensors out back to back in the order given.
    public init(_ specs: [(name: String, shape: [Int])]) {
        var offset = 0
        var entries = [Entry]()
        for spec in specs {
            precondition(spec.shape.allSatisfy { $0 > 0 }, "tensor \(spec.name) has a non-positive dimension \(spec.shape)")
            entries.append(Entry(name: spec.name, shape: spec.shape, offset: offset))
            offset += spec.shape.reduce(1, *)
        }
        precondition(Set(entries.map(\.name)).count == entries.count, "duplicate tensor names in \(entries.map(\.name))")
        self.entries = entries
        self.totalCount = offset
    }

    /// Replaces the entries by the same tensors with other roles (used by `assigningRoles`).
    mutating func replaceEntries(_ marked: [Entry]) {
        precondition(marked.map(\.name) == entries.map(\.name) && marked.map(\.offset) == entries.map(\.offset),
                     "roles may change, tensors may not")
        entries = marked
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The flat buffer cut into named tensors (copies).
    public func split(_ flat: [Float]) -> [NamedTensor] {
        precondition(flat.count == totalCount, "flat buffer has \(flat.count) values, layout needs \(totalCount)")
        return entries.map { NamedTensor(name: $0.name, shape: $0.shape, values: Array(flat[$0.offset..<($0.offset + $0.count)])) }
    }

    /// Checks that `tensors` are exactly this layout's names and shapes (each once), without copying.
    public func validate(_ tensors: [NamedTensor]) throws(LayoutMismatch) {
        guard tensors.count == entries.count else {
            throw LayoutMismatch(reason: "expected \(entries.count) tensors (\(entries.map(\.name).joined(separator: ", "))), got \(tensors.count)")
        }
        var seen = Set<String>()
        for tensor in tensors {
            guard let entry = entry(named: tensor.name) else { throw LayoutMismatch(reason: "unexpected tensor '\(tensor.name)'") }
            guard seen.insert(tensor.name).inserted else { throw LayoutMismatch(reason: "tensor '\(tensor.name)' appears twice") }
            if let ids = tensor.rowIDs {
                try Self.validateRows(ids, of: tensor, against: entry)
            } else if entry.shape != tensor.shape {
                throw LayoutMismatch(reason: "tensor '\(tensor.name)' has shape \(tensor.shape), expected \(entry.shape)")
            }
        }
    }

    /// Sparse rows must belong to a table that travels as rows, have its row width, and name
    /// distinct rows inside it in ascending order (so every row id means one row once).
    static func validateRows(_ ids: [Int32], of tensor: NamedTensor, against entry: Entry) throws(LayoutMismatch) {
        guard entry.travelsAsRows else { throw LayoutMismatch(reason: "tensor '\(tensor.name)' may not travel as rows") }
        guard tensor.shape.count == entry.shape.count, Array(tensor.shape.dropFirst()) == Array(entry.shape.dropFirst()),
              tensor.shape.first == ids.count else {
            throw LayoutMismatch(reason: "rows of '\(tensor.name)' have shape \(tensor.shape) for \(ids.count) ids; the table is \(entry.shape)")
        }
        var previous: Int32 = -1
        for id in ids {
            guard id > previous, Int(id) < entry.shape[0] else {
                throw LayoutMismatch(reason: "row ids of '\(tensor.name)' must ascend strictly within 0..<\(entry.shape[0]) (found \(id) after \(previous))")
            }
            previous = id
        }
    }

    /// Reassembles a flat buffer from named tensors, requiring exactly this layout's names and shapes
    /// (tables sent as rows fill only their rows; the others stay zero).
    public func flatten(_ tensors: [NamedTensor]) throws(LayoutMismatch) -> [Float] {
        try validate(tensors)
        var flat = [Float](repeating: 0, count: totalCount)
        flat.withUnsafeMutableBufferPointer { out in
            for tensor in tensors {
                // validate() guarantees the entry exists and the sizes agree.
                guard let entry = entry(named: tensor.name) else { continue }
                tensor.values.withUnsafeBufferPointer { source in
                    guard let ids = tensor.rowIDs else {
                        (out.baseAddress! + entry.offset).update(from: source.baseAddress!, count: entry.count)
                        return
                    }
                    // Rows the message does not carry stay zero (deltas of untouched rows).
                    let width = entry.count / entry.shape[0]
                    for (row, id) in ids.enumerated() {
                        (out.baseAddress! + entry.offset + Int(id) * width).update(from: source.baseAddress! + row * width, count: width)
                    }
                }
            }
        }
        return flat
    }
}

/// Named tensors that do not match the expected layout.
public struct LayoutMismatch: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
