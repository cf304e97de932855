/// Loads a Planetoid citation graph (Cora, Citeseer, Pubmed) from the `ind.<prefix>.*` files of
/// Yang et al. 2016, assembled the way Kipf & Welling's GCN `load_data` does.
///
/// The files are Python 2 pickles, read with `PickleReader` (which runs no code from them):
/// - `x`, `allx`, `tx`: scipy `csr_matrix` features of the labelled training nodes, of every non-test
///   node, and of the test nodes;
/// - `y`, `ally`, `ty`: numpy one-hot label arrays with the same rows;
/// - `graph`: a `defaultdict(list)` `{node: [neighbours]}`;
/// - `test.index`: text, one test node id per line, row r of `tx`/`ty` belonging to the id on line r.
///
/// Assembly: node i < len(allx) takes row i of `allx`/`ally`; test node `test.index[r]` takes row r of
/// `tx`/`ty`; there are max(test.index) + 1 nodes. Labels are the argmax of the one-hot rows, or -1 for
/// an all-zero row. Edges are the symmetrised graph dict without duplicates and self-loops. The split
/// is train = 0..<len(y), validation = len(y)..<len(y) + 500, test = the sorted test ids.
public enum PlanetoidLoader {
    /// The size of Planetoid's validation range, fixed by convention (Kipf's `range(len(y), len(y)+500)`).
    public static let validationCount = 500

    /// Reads `directory/ind.<prefix>.{x,y,tx,ty,allx,ally,graph,test.index}` into a graph data set.
    ///
    /// - Parameters:
    ///   - directory: the folder holding the files, e.g. `data/cora/planetoid`.
    ///   - prefix: the data set's name in the file names, e.g. `cora`.
    /// - Returns: features (sparse, raw values, not row-normalised), labels, edges and the Planetoid split.
    /// - Throws: `DataError` naming the file for a missing file, a pickle of the wrong kind, shapes that do
    ///   not fit together, non-finite features and node ids out of range.
    public static func load(directory: String, prefix: String) throws(DataError) -> GraphDataset {
        func path(_ suffix: String) -> String { "\(directory)/ind.\(prefix).\(suffix)" }
        let (xPath, yPath, allxPath, allyPath) = (path("x"), path("y"), path("allx"), path("ally"))
        let (txPath, tyPath, testIndexPath) = (path("tx"), path("ty"), path("test.index"))
        let x = try csrRows(xPath)
        let y = try denseRows(yPath)
        let allx = try csrRows(allxPath)
        let ally = try denseRows(allyPath)
        let tx = try csrRows(txPath)
        let ty = try denseRows(tyPath)
        let testIndex = try readTestIndex(testIndexPath)

        // Shapes: every feature matrix has the same width, every label matrix the same class count, and
        // each label matrix has the rows of its feature matrix.
        func mismatch(_ file: String, _ reason: String) -> DataError { .malformed(path: file, line: 0, reason: reason) }
        guard x.columnCount == allx.columnCount else {
            throw mismatch(xPath, "\(x.columnCount) columns, allx has \(allx.columnCount)")
        }
        guard tx.columnCount == allx.columnCount else {
            throw mismatch(txPath, "\(tx.columnCount) columns, allx has \(allx.columnCount)")
        }
        guard y.columnCount == ally.columnCount else {
            throw mismatch(yPath, "\(y.columnCount) classes, ally has \(ally.columnCount)")
        }
        guard ty.columnCount == ally.columnCount else {
            throw mismatch(tyPath, "\(ty.columnCount) classes, ally has \(ally.columnCount)")
        }
        guard y.rowCount == x.rowCount else { throw mismatch(yPath, "\(y.rowCount) rows, x has \(x.rowCount)") }
        guard ally.rowCount == allx.rowCount else {
            throw mismatch(allyPath, "\(ally.rowCount) rows, allx has \(allx.rowCount)")
        }
        guard tx.rowCount == testIndex.count else {
            throw mismatch(txPath, "\(tx.rowCount) rows, test.index lists \(testIndex.count) ids")
        }
        guard ty.rowCount == testIndex.count else {
            throw mismatch(tyPath, "\(ty.rowCount) rows, test.index lists \(testIndex.count) ids")
        }
        guard x.rowCount + validationCount <= allx.rowCount else {
            throw mismatch(
                allxPath,
                "\(allx.rowCount) rows cannot hold \(x.rowCount) training and \(validationCount) validation nodes")
        }

        // Nodes: allx rows first, then the test range up to the largest test id. Gap ids (no row) may not
        // outnumber the test rows: Citeseer has 15 gaps for 1,000 rows, and the bound keeps a corrupt id
        // from making the loader allocate billions of nodes.
        let nodeCount = max(allx.rowCount, (testIndex.max() ?? -1) + 1)
        guard nodeCount - allx.rowCount <= 2 * testIndex.count else {
            throw .malformed(
                path: testIndexPath, line: (testIndex.firstIndex(of: nodeCount - 1) ?? 0) + 1,
                reason: "test id \(nodeCount - 1) leaves more gap ids than the \(testIndex.count) test rows")
        }
        var seen = Set<Int>()
        for (line, id) in testIndex.enumerated() {
            guard id >= allx.rowCount else {
                throw .malformed(
                    path: testIndexPath, line: line + 1,
                    reason: "test id \(id) is one of the \(allx.rowCount) allx rows")
            }
            guard seen.insert(id).inserted else {
                throw .malformed(path: testIndexPath, line: line + 1, reason: "test id \(id) is repeated")
            }
        }
        // Where each node's row comes from. When the sorted test ids have gaps (Citeseer's isolated
        // nodes), the ids in the gap own no row: Kipf fills them with zero feature and label rows, so
        // they get no features and label -1 here.
        var testRow = [Int?](repeating: nil, count: nodeCount)
        for (row, id) in testIndex.enumerated() { testRow[id] = row }

        var rowStarts = [0]
        var columns = [Int32]()
        var values = [Float]()
        var labels = [Int32]()
        rowStarts.reserveCapacity(nodeCount + 1)
        labels.reserveCapacity(nodeCount)
        for node in 0..<nodeCount {
            if node < allx.rowCount {
                allx.appendRow(node, columns: &columns, values: &values)
                labels.append(try ally.argmax(row: node, path: allyPath))
            } else if let row = testRow[node] {
                tx.appendRow(row, columns: &columns, values: &values)
                labels.append(try ty.argmax(row: row, path: tyPath))
            } else {
                labels.append(-1)
            }
            rowStarts.append(columns.count)
        }
        let features: SparseMatrix
        do {
            features = try SparseMatrix(
                rowCount: nodeCount, columnCount: allx.columnCount, rowStarts: rowStarts,
                columns: columns, values: values)
        } catch {
            throw .malformed(path: allxPath, line: 0, reason: "assembled features: \(error)")
        }

        let edges = try readEdges(path("graph"), nodeCount: nodeCount)
        let split = GraphDataset.NodeSplit(
            train: Array(0..<x.rowCount),
            validation: Array(x.rowCount..<x.rowCount + validationCount),
            test: testIndex.sorted())
        return GraphDataset(
            features: features, labels: labels, classCount: ally.columnCount, edges: edges, split: split)
    }

    // MARK: - Files

    /// `test.index`: one non-negative integer per line.
    static func readTestIndex(_ path: String) throws(DataError) -> [Int] {
        var ids = [Int]()
        var lineNumber = 0
        for rawLine in try readTextFile(path).split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = (rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine).trimmingSpaces()
            if line.isEmpty { continue }
            guard let id = Int(line), id >= 0 else {
                throw .malformed(path: path, line: lineNumber, reason: "'\(line)' is not a node id")
            }
            ids.append(id)
        }
        return ids
    }

    /// The symmetrised `{node: [neighbours]}` dict as sorted unique edges; self-loops dropped.
    static func readEdges(_ path: String, nodeCount: Int) throws(DataError) -> [GraphEdge] {
        let entries: [(key: PickleValue, value: PickleValue)]
        switch try PickleReader.read(path: path) {
        case let .dict(dict): entries = dict.entries
        case let .object(object) where object.typeName == "collections.defaultdict": entries = object.dictItems.entries
        case let other: throw .malformed(path: path, line: 0, reason: "expected a dict of lists, got \(other.kindName)")
        }
        func nodeID(_ value: PickleValue, _ role: String) throws(DataError) -> Int {
            guard case let .int(id) = value else {
                throw .malformed(path: path, line: 0, reason: "\(role) is a \(value.kindName), not a node id")
            }
            guard id >= 0, id < nodeCount else {
                throw .malformed(path: path, line: 0, reason: "node id \(id) (\(role)) is outside 0..<\(nodeCount)")
            }
            return id
        }
        var edges = Set<GraphEdge>()
        for (key, value) in entries {
            let node = try nodeID(key, "a key")
            let neighbours: [PickleValue]
            switch value {
            case let .list(list): neighbours = list.items
            case let .tuple(items): neighbours = items
            default:
                throw .malformed(
                    path: path, line: 0, reason: "neighbours of node \(node) are a \(value.kindName), not a list")
            }
            for neighbour in neighbours {
                if let edge = GraphEdge(node, try nodeID(neighbour, "a neighbour of node \(node)")) {
                    edges.insert(edge)
                }
            }
        }
        return edges.sorted()
    }

    // MARK: - numpy and scipy objects

    /// A scipy `csr_matrix` with checked arrays (columns in range, finite values; order not assumed).
    struct CSRRows {
        var rowCount: Int
        var columnCount: Int
        var rowStarts: [Int]
        var columns: [Int]
        var values: [Double]

        /// Appends row `row` to a CSR buffer: columns ascending, duplicates summed (scipy's meaning),
        /// explicit zeros skipped.
        func appendRow(_ row: Int, columns outColumns: inout [Int32], values outValues: inout [Float]) {
            let range = rowStarts[row]..<rowStarts[row + 1]
            let order = range.sorted { (columns[$0], $0) < (columns[$1], $1) }
            var position = 0
            while position < order.count {
                let column = columns[order[position]]
                var sum = 0.0
                while position < order.count, columns[order[position]] == column {
                    sum += values[order[position]]
                    position += 1
                }
                if sum != 0 {
                    outColumns.append(Int32(column))
                    outValues.append(Float(sum))
                }
            }
        }
    }

    /// A 2-D numpy array, row-major.
    struct DenseRows {
        var rowCount: Int
        var columnCount: Int
        var values: [Double]

        /// The first largest entry's column, or -1 for an all-zero row (an unlabelled node).
        func argmax(row: Int, path: String) throws(DataError) -> Int32 {
            let slice = values[row * columnCount..<(row + 1) * columnCount]
            guard slice.allSatisfy({ !$0.isNaN }) else {
                throw .malformed(path: path, line: 0, reason: "row \(row) holds NaN")
            }
            guard slice.contains(where: { $0 != 0 }), let best = slice.max() else { return -1 }
            return Int32(slice.firstIndex(of: best).map { $0 - slice.startIndex } ?? -1)
        }
    }

    static func csrRows(_ path: String) throws(DataError) -> CSRRows {
        func fail(_ reason: String) -> DataError { .malformed(path: path, line: 0, reason: reason) }
        let value = try PickleReader.read(path: path)
        guard case let .object(object) = value, object.typeName.hasPrefix("scipy.sparse"),
            object.typeName.hasSuffix("csr_matrix")
        else {
            throw fail("expected a scipy csr_matrix, got \(value.kindName)")
        }
        guard case let .dict(state)? = object.state else { throw fail("csr_matrix has no state dict") }
        guard case let .tuple(shape)? = state[text: "_shape"], shape.count == 2,
            case let .int(rowCount) = shape[0], case let .int(columnCount) = shape[1], rowCount >= 0, columnCount >= 0
        else {
            throw fail("csr_matrix has no 2-D _shape")
        }
        func array(_ key: String) throws(DataError) -> NumpyArray {
            guard let item = state[text: key] else { throw fail("csr_matrix has no '\(key)'") }
            let array = try NumpyArray(item, path: path, name: key)
            guard array.shape.count == 1 else { throw fail("'\(key)' has shape \(array.shape), expected 1-D") }
            return array
        }
        let rowStarts = try array("indptr").integers(path: path, name: "indptr")
        let columns = try array("indices").integers(path: path, name: "indices")
        let values = try array("data").reals
        guard rowStarts.count == rowCount + 1, rowStarts.first == 0, rowStarts.last == columns.count,
            columns.count == values.count
        else {
            throw fail(
                "csr arrays do not fit \(rowCount) x \(columnCount): \(rowStarts.count) indptr, "
                    + "\(columns.count) indices, \(values.count) data")
        }
        for row in 0..<rowCount where rowStarts[row] > rowStarts[row + 1] {
            throw fail("indptr decreases at row \(row)")
        }
        if let bad = columns.firstIndex(where: { $0 < 0 || $0 >= columnCount }) {
            throw fail("column index \(columns[bad]) is outside 0..<\(columnCount)")
        }
        if let bad = values.firstIndex(where: { !$0.isFinite || !Float($0).isFinite }) {
            throw fail("feature value \(values[bad]) at data[\(bad)] is not finite")
        }
        return CSRRows(
            rowCount: rowCount, columnCount: columnCount, rowStarts: rowStarts, columns: columns, values: values)
    }

    static func denseRows(_ path: String) throws(DataError) -> DenseRows {
        let array = try NumpyArray(try PickleReader.read(path: path), path: path, name: "array")
        guard array.shape.count == 2 else {
            throw .malformed(path: path, line: 0, reason: "expected a 2-D one-hot array, got shape \(array.shape)")
        }
        return DenseRows(rowCount: array.shape[0], columnCount: array.shape[1], values: array.reals)
    }

    /// A numpy `ndarray` as pickled: `_reconstruct(ndarray, (0,), 'b')` then
    /// BUILD `(version, shape, dtype, is_fortran, raw bytes)`. Elements come out in row-major (C) order.
    struct NumpyArray {
        var shape: [Int]
        var reals: [Double]
        /// The exact values when the dtype is an integer type.
        var exactIntegers: [Int]?

        init(_ value: PickleValue, path: String, name: String) throws(DataError) {
            func fail(_ reason: String) -> DataError { .malformed(path: path, line: 0, reason: "\(name): \(reason)") }
            guard case let .object(object) = value,
                object.typeName == "numpy.core.multiarray._reconstruct"
                    || object.typeName == "numpy._core.multiarray._reconstruct"
            else {
                throw fail("expected a numpy ndarray, got \(value.kindName)")
            }
            guard case var .tuple(state)? = object.state, state.count == 5 || state.count == 4 else {
                throw fail("ndarray state is not (version, shape, dtype, is_fortran, data)")
            }
            if state.count == 5 { state.removeFirst() }  // the version
            guard case let .tuple(dimensions) = state[0] else { throw fail("ndarray shape is not a tuple") }
            var shape = [Int]()
            var count = 1
            for dimension in dimensions {
                guard case let .int(size) = dimension, size >= 0 else {
                    throw fail("bad ndarray dimension \(dimension.kindName)")
                }
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow else { throw fail("ndarray shape overflows") }
                shape.append(size)
                count = product
            }
            let (kind, size) = try NumpyArray.dtype(state[1], fail: fail)
            guard case let .bool(fortran) = state[2] else { throw fail("ndarray is_fortran flag is not a bool") }
            guard case let .bytes(raw) = state[3] else {
                throw fail("ndarray data is \(state[3].kindName), not a byte string")
            }
            let (byteCount, tooBig) = count.multipliedReportingOverflow(by: size)
            guard !tooBig, raw.count == byteCount else {
                throw fail("\(raw.count) data bytes for shape \(shape) of \(size)-byte elements")
            }
            var integers = [Int]()
            var reals = [Double]()
            reals.reserveCapacity(count)
            for element in 0..<count {
                let bits = raw[element * size..<(element + 1) * size].reversed().reduce(UInt64(0)) {
                    $0 << 8 | UInt64($1)
                }
                switch kind {
                case "f" where size == 4: reals.append(Double(Float(bitPattern: UInt32(bits))))
                case "f": reals.append(Double(bitPattern: bits))
                case _ where size == 4: integers.append(Int(Int32(bitPattern: UInt32(bits))))
                default: integers.append(Int(Int64(bitPattern: bits)))
                }
            }
            if kind == "i" { reals = integers.map(Double.init) }
            if fortran, shape.count > 1 {
                guard shape.count == 2 else {
                    throw fail("Fortran-ordered arrays of \(shape.count) dimensions are unsupported")
                }
                let (rows, columns) = (shape[0], shape[1])
                func transpose<T>(_ items: [T]) -> [T] {
                    (0..<count).map { items[($0 % columns) * rows + $0 / columns] }
                }
                reals = transpose(reals)
                if kind == "i" { integers = transpose(integers) }
            }
            self.shape = shape
            self.reals = reals
            self.exactIntegers = kind == "i" ? integers : nil
        }

        /// (kind "f" or "i", byte size) of `numpy.dtype('<kind><size>', 0, 1)` with BUILD state
        /// `(version, byte order, ...)`; little-endian or `|` (not applicable) only.
        static func dtype(_ value: PickleValue, fail: (String) -> DataError) throws(DataError) -> (String, Int) {
            guard case let .object(object) = value, object.typeName == "numpy.dtype",
                let code = object.arguments.first?.text
            else {
                throw fail("dtype is \(value.kindName), not numpy.dtype")
            }
            guard case let .tuple(state)? = object.state, state.count >= 2, let order = state[1].text else {
                throw fail("dtype '\(code)' has no byte order")
            }
            guard order == "<" || order == "|" else {
                throw fail("dtype '\(code)' has byte order '\(order)'; only little-endian is supported")
            }
            switch code {
            case "f4": return ("f", 4)
            case "f8": return ("f", 8)
            case "i4": return ("i", 4)
            case "i8": return ("i", 8)
            default: throw fail("unsupported dtype '\(code)' (supported: f4, f8, i4, i8)")
            }
        }

        func integers(path: String, name: String) throws(DataError) -> [Int] {
            guard let exactIntegers else {
                throw .malformed(path: path, line: 0, reason: "\(name) has a floating-point dtype, expected integers")
            }
            return exactIntegers
        }
    }
}
