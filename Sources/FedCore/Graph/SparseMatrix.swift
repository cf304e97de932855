/// A sparse Float32 matrix in compressed sparse row (CSR) form, and the one sparse kernel FedSim
/// uses for graphs: sparse × dense.
///
/// Row r's entries are `columns[rowStarts[r]..<rowStarts[r+1]]` with `values` alongside, columns
/// ascending and unique. The product sums each output row's terms in that column order, one row at a
/// time, so its bits never depend on how rows are spread over threads (the determinism contract).
public struct SparseMatrix: Sendable, Equatable {
    public let rowCount: Int
    public let columnCount: Int
    /// rowCount + 1 offsets into `columns` and `values`.
    public let rowStarts: [Int]
    public let columns: [Int32]
    public let values: [Float]

    public var nonZeroCount: Int { values.count }

    /// One stored entry.
    public struct Entry: Sendable, Equatable {
        public var row: Int
        public var column: Int
        public var value: Float
        public init(row: Int, column: Int, value: Float) {
            self.row = row
            self.column = column
            self.value = value
        }
    }

    /// Errors from building a matrix out of entries or raw CSR arrays.
    public enum BuildError: Error, Equatable, CustomStringConvertible {
        case outOfRange(row: Int, column: Int, rows: Int, columns: Int)
        case nonFinite(row: Int, column: Int)
        case malformed(String)

        public var description: String {
            switch self {
            case let .outOfRange(row, column, rows, columns):
                return "entry (\(row), \(column)) is outside a \(rows) x \(columns) matrix"
            case let .nonFinite(row, column): return "entry (\(row), \(column)) is not finite"
            case let .malformed(reason): return reason
            }
        }
    }

    /// Builds the matrix from entries in any order; duplicate positions are summed (in entry order).
    ///
    /// - Throws: `BuildError` for an entry outside the shape or a non-finite value.
    public init(rowCount: Int, columnCount: Int, entries: [Entry]) throws(BuildError) {
        for entry in entries {
            guard entry.row >= 0, entry.row < rowCount, entry.column >= 0, entry.column < columnCount else {
                throw .outOfRange(row: entry.row, column: entry.column, rows: rowCount, columns: columnCount)
            }
            guard entry.value.isFinite else { throw .nonFinite(row: entry.row, column: entry.column) }
        }
        // Stable order by (row, column): duplicates keep their entry order, so their sum is fixed.
        let order = entries.indices.sorted { (entries[$0].row, entries[$0].column, $0) < (entries[$1].row, entries[$1].column, $1) }
        var starts = [Int](repeating: 0, count: rowCount + 1)
        var columns = [Int32]()
        var values = [Float]()
        columns.reserveCapacity(entries.count)
        values.reserveCapacity(entries.count)
        var previous: (row: Int, column: Int)?
        for index in order {
            let entry = entries[index]
            if let previous, previous == (entry.row, entry.column) {
                values[values.count - 1] += entry.value
                continue
            }
            columns.append(Int32(entry.column))
            values.append(entry.value)
            starts[entry.row + 1] += 1
            previous = (entry.row, entry.column)
        }
        for row in 0..<rowCount { starts[row + 1] += starts[row] }
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStarts = starts
        self.columns = columns
        self.values = values
    }

    /// Wraps raw CSR arrays after checking them (starts non-decreasing, columns in range and ascending).
    public init(rowCount: Int, columnCount: Int, rowStarts: [Int], columns: [Int32], values: [Float]) throws(BuildError) {
        guard rowStarts.count == rowCount + 1, rowStarts.first == 0, rowStarts.last == columns.count, columns.count == values.count else {
            throw .malformed("CSR arrays do not fit a \(rowCount)-row matrix (\(rowStarts.count) row starts, "
                             + "\(columns.count) columns, \(values.count) values)")
        }
        for row in 0..<rowCount {
            guard rowStarts[row] <= rowStarts[row + 1] else { throw .malformed("row starts decrease at row \(row)") }
            var last = -1
            for position in rowStarts[row]..<rowStarts[row + 1] {
                let column = Int(columns[position])
                guard column >= 0, column < columnCount else {
                    throw .outOfRange(row: row, column: column, rows: rowCount, columns: columnCount)
                }
                guard column > last else { throw .malformed("row \(row): columns not strictly ascending") }
                guard values[position].isFinite else { throw .nonFinite(row: row, column: column) }
                last = column
            }
        }
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values
    }

    /// The transpose, also in CSR form (entries of each output row in ascending column order).
    public func transposed() -> SparseMatrix {
        var starts = [Int](repeating: 0, count: columnCount + 1)
        for column in columns { starts[Int(column) + 1] += 1 }
        for column in 0..<columnCount { starts[column + 1] += starts[column] }
        var next = starts
        var newColumns = [Int32](repeating: 0, count: columns.count)
        var newValues = [Float](repeating: 0, count: values.count)
        // Rows are visited in ascending order, so every output row receives ascending columns.
        for row in 0..<rowCount {
            for position in rowStarts[row]..<rowStarts[row + 1] {
                let target = Int(columns[position])
                newColumns[next[target]] = Int32(row)
                newValues[next[target]] = values[position]
                next[target] += 1
            }
        }
        // The arrays were built to satisfy every CSR invariant above.
        return SparseMatrix(unchecked: columnCount, columnCount: rowCount, rowStarts: starts, columns: newColumns, values: newValues)
    }

    /// The same sparsity pattern with other values (dropout, row scaling), without re-checking it.
    public func replacingValues(_ newValues: [Float]) -> SparseMatrix {
        precondition(newValues.count == values.count, "\(newValues.count) values for \(values.count) stored entries")
        return SparseMatrix(unchecked: rowCount, columnCount: columnCount, rowStarts: rowStarts, columns: columns, values: newValues)
    }

    init(unchecked rowCount: Int, columnCount: Int, rowStarts: [Int], columns: [Int32], values: [Float]) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.rowStarts = rowStarts
        self.columns = columns
        self.values = values
    }

    /// The dense row-major copy (for tests and small matrices).
    public func dense() -> [Float] {
        var out = [Float](repeating: 0, count: rowCount * columnCount)
        for row in 0..<rowCount {
            for position in rowStarts[row]..<rowStarts[row + 1] { out[row * columnCount + Int(columns[position])] = values[position] }
        }
        return out
    }
}
