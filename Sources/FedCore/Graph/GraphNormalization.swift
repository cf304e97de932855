/// An undirected edge between two distinct nodes, stored with `a < b`.
public struct GraphEdge: Hashable, Sendable, Comparable {
    public let a: Int32
    public let b: Int32

    /// The edge {u, v}; nil for a self-loop (graphs here keep none; the normalisation adds its own).
    public init?(_ u: Int, _ v: Int) {
        guard u != v else { return nil }
        a = Int32(min(u, v))
        b = Int32(max(u, v))
    }

    public static func < (lhs: GraphEdge, rhs: GraphEdge) -> Bool { (lhs.a, lhs.b) < (rhs.a, rhs.b) }
}

extension SparseMatrix {
    /// Kipf & Welling's propagation matrix Â = D̃^{-1/2} (A + I) D̃^{-1/2}, D̃ = diag((A + I) 1), for an
    /// undirected graph on `nodeCount` nodes. Symmetric, so Âᵀ = Â (backward passes reuse it).
    ///
    /// Every node gets its self-loop, so an isolated node keeps its own features (Â_vv = 1).
    public static func normalizedAdjacency(nodeCount: Int, edges: [GraphEdge]) -> SparseMatrix {
        var degree = [Double](repeating: 1, count: nodeCount)  // the self-loop
        for edge in edges {
            degree[Int(edge.a)] += 1
            degree[Int(edge.b)] += 1
        }
        let scale = degree.map { 1 / $0.squareRoot() }
        var entries = [Entry]()
        entries.reserveCapacity(nodeCount + 2 * edges.count)
        for node in 0..<nodeCount { entries.append(Entry(row: node, column: node, value: Float(scale[node] * scale[node]))) }
        for edge in edges {
            let (u, v) = (Int(edge.a), Int(edge.b))
            let weight = Float(scale[u] * scale[v])
            entries.append(Entry(row: u, column: v, value: weight))
            entries.append(Entry(row: v, column: u, value: weight))
        }
        // Every entry is in range and finite by construction.
        guard let matrix = try? SparseMatrix(rowCount: nodeCount, columnCount: nodeCount, entries: entries) else {
            preconditionFailure("normalised adjacency of \(nodeCount) nodes has an edge out of range")
        }
        return matrix
    }
}
