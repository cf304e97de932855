/// Reads a graph data set from two plain CSV files, the format users can write from any tool.
///
/// Node file: one header row, then `id,feature_1,...,feature_F,label` per node. Ids are 0..<N, in any
/// order, each exactly once. A label is an integer ≥ 0, or empty or -1 for an unlabelled node.
///
/// Edge file: one header row, then `source,target` per edge. Edges are undirected: duplicates and the
/// two directions of an edge collapse into one, and self-loops are dropped.
///
/// Cells are separated by commas without quoting; spaces around a cell, blank lines and CRLF line ends
/// are tolerated. The class count is the largest label + 1; there is no split. Features are stored
/// sparse (zeros are not stored).
public enum GraphCSVLoader {
    /// Loads the node and edge files.
    ///
    /// - Parameters:
    ///   - nodes: path of the node CSV.
    ///   - edges: path of the edge CSV.
    /// - Throws: `DataError.unreadable` for a file that cannot be read; `DataError.malformed` naming the
    ///   file and 1-based line for ragged rows, non-numeric or non-finite features, a node id out of
    ///   range, repeated or missing, a bad label, and an edge naming an unknown node.
    public static func load(nodes: String, edges: String) throws(DataError) -> GraphDataset {
        let table = try readNodes(nodes)
        let nodeCount = table.ids.count

        // Ids must be exactly 0..<nodeCount: a repeat is reported at its second line; with no repeats,
        // an id out of range means some id below nodeCount is missing, and the message names it.
        var rowOfNode = [Int](repeating: -1, count: nodeCount)
        for (row, id) in table.ids.enumerated() where id >= 0 && id < nodeCount {
            guard rowOfNode[id] < 0 else {
                throw .malformed(
                    path: nodes, line: table.lines[row],
                    reason: "node id \(id) is repeated (first on line \(table.lines[rowOfNode[id]]))")
            }
            rowOfNode[id] = row
        }
        if let row = table.ids.firstIndex(where: { $0 < 0 || $0 >= nodeCount }) {
            let missing = rowOfNode.firstIndex(of: -1).map { "; node \($0) is missing" } ?? ""
            throw .malformed(
                path: nodes, line: table.lines[row],
                reason: "node id \(table.ids[row]) is outside 0..<\(nodeCount) (ids must be 0..<node count\(missing))")
        }

        var rowStarts = [0]
        var columns = [Int32]()
        var values = [Float]()
        var labels = [Int32]()
        rowStarts.reserveCapacity(nodeCount + 1)
        labels.reserveCapacity(nodeCount)
        for node in 0..<nodeCount {
            let row = rowOfNode[node]
            for feature in 0..<table.featureCount {
                let value = table.features[row * table.featureCount + feature]
                guard value != 0 else { continue }
                columns.append(Int32(feature))
                values.append(value)
            }
            rowStarts.append(columns.count)
            labels.append(table.labels[row])
        }
        let features: SparseMatrix
        do {
            features = try SparseMatrix(
                rowCount: nodeCount, columnCount: table.featureCount, rowStarts: rowStarts,
                columns: columns, values: values)
        } catch {
            throw .malformed(path: nodes, line: 0, reason: "features: \(error)")
        }
        let classCount = Int(labels.max() ?? -1) + 1
        return GraphDataset(
            features: features, labels: labels, classCount: classCount,
            edges: try readEdges(edges, nodeCount: nodeCount))
    }

    // MARK: - Files

    /// The node rows in file order, with the line each came from.
    struct NodeTable {
        var featureCount = 0
        var ids: [Int] = []
        var features: [Float] = []  // [rows, featureCount], row-major
        var labels: [Int32] = []
        var lines: [Int] = []
    }

    static func readNodes(_ path: String) throws(DataError) -> NodeTable {
        var table = NodeTable()
        var cellCount = 0
        try forEachRow(of: path) { (lineNumber, cells) throws(DataError) in
            func fail(_ reason: String) -> DataError { .malformed(path: path, line: lineNumber, reason: reason) }
            if lineNumber == 1 {  // header
                cellCount = cells.count
                guard cellCount >= 2 else {
                    throw .malformed(path: path, line: 1, reason: "header needs at least id and label")
                }
                table.featureCount = cellCount - 2
                return
            }
            guard cells.count == cellCount else {
                throw fail("expected \(cellCount) cells as in the header, got \(cells.count)")
            }
            guard let id = Int(cells[0]) else { throw fail("node id '\(cells[0])' is not an integer") }
            for cell in cells.dropFirst().dropLast() {
                guard let value = Float(cell), value.isFinite else {
                    throw fail("feature '\(cell)' is not a finite number")
                }
                table.features.append(value)
            }
            let labelCell = cells[cells.count - 1]
            let label: Int32
            if labelCell.isEmpty {
                label = -1
            } else {
                guard let parsed = Int32(labelCell), parsed >= -1 else {
                    throw fail("label '\(labelCell)' is not a class index ≥ 0, or -1 or empty for unlabelled")
                }
                label = parsed
            }
            table.ids.append(id)
            table.labels.append(label)
            table.lines.append(lineNumber)
        }
        guard !table.ids.isEmpty else { throw .malformed(path: path, line: 1, reason: "no node rows after the header") }
        return table
    }

    static func readEdges(_ path: String, nodeCount: Int) throws(DataError) -> [GraphEdge] {
        var edges = Set<GraphEdge>()
        try forEachRow(of: path) { (lineNumber, cells) throws(DataError) in
            guard lineNumber > 1 else { return }  // header
            func fail(_ reason: String) -> DataError { .malformed(path: path, line: lineNumber, reason: reason) }
            guard cells.count == 2 else { throw fail("expected 2 cells (source,target), got \(cells.count)") }
            var ends = [Int]()
            for cell in cells {
                guard let id = Int(cell) else { throw fail("node id '\(cell)' is not an integer") }
                guard id >= 0, id < nodeCount else {
                    throw fail("edge names node \(id), but nodes are 0..<\(nodeCount)")
                }
                ends.append(id)
            }
            if let edge = GraphEdge(ends[0], ends[1]) { edges.insert(edge) }
        }
        return edges.sorted()
    }

    /// Calls `body` with each line's 1-based number and trimmed cells: the header (line 1, even if blank),
    /// then every non-blank line.
    static func forEachRow(
        of path: String,
        _ body: (Int, [Substring]) throws(DataError) -> Void
    ) throws(DataError) {
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so CRLF files must be split on it explicitly.
        for rawLine in try readTextFile(path).split(
            omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        {
            lineNumber += 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if lineNumber > 1 && line.trimmingSpaces().isEmpty { continue }
            try body(
                lineNumber, line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() })
        }
    }
}
