/// Undirected peer graphs for decentralized algorithms (optimization spec §4.1).
///
/// Nodes are 0..<n; an edge {i, j} means i and j exchange gossip messages directly. The graph is simple:
/// no self loops, no parallel edges. Constructors validate their arguments and throw `PeerGraphError`,
/// but none of them demands connectivity (an Erdős–Rényi draw may fall apart); callers that need a
/// connected network check `isConnected`, and `MixingMatrix.rho` is 1 exactly when it is not.
public struct PeerGraph: Sendable, Equatable {
    /// The number of nodes n; nodes are 0..<n.
    public let nodeCount: Int
    /// `neighbours[i]`: the nodes adjacent to i, ascending, without i itself; j ∈ neighbours[i] ⇔ i ∈ neighbours[j].
    public let neighbours: [[Int]]

    /// The `round` key of the RNG stream behind `erdosRenyi` (ASCII "ERGRAPH" then layout version 1).
    ///
    /// A constant far from real round numbers, so the graph draw never shares a stream with a
    /// round-keyed `.custom` draw of the same seed.
    public static let erdosRenyiStreamRound: UInt64 = 0x4552_4752_4150_4801

    /// Builds the graph from adjacency lists that may hold duplicates; callers have validated the nodes.
    private init(nodeCount: Int, adjacency: [[Int]]) {
        self.nodeCount = nodeCount
        neighbours = adjacency.map { Array(Set($0)).sorted() }
    }

    // MARK: - Queries

    /// The number of neighbours of `node`.
    public func degree(_ node: Int) -> Int { neighbours[node].count }

    /// The number of undirected edges.
    public var edgeCount: Int { neighbours.reduce(0) { $0 + $1.count } / 2 }

    /// Every edge once as (i, j) with i < j, sorted by i, then j.
    public var edges: [(Int, Int)] {
        var list = [(Int, Int)]()
        list.reserveCapacity(edgeCount)
        for i in 0..<nodeCount { for j in neighbours[i] where j > i { list.append((i, j)) } }
        return list
    }

    /// The number of connected components (an isolated node is one component).
    ///
    /// - Complexity: O(n + edges), breadth-first search.
    public var componentCount: Int {
        var seen = [Bool](repeating: false, count: nodeCount)
        var components = 0
        var queue = [Int]()
        queue.reserveCapacity(nodeCount)
        for start in 0..<nodeCount where !seen[start] {
            components += 1
            seen[start] = true
            queue.removeAll(keepingCapacity: true)
            queue.append(start)
            var head = 0
            while head < queue.count {
                let node = queue[head]
                head += 1
                for next in neighbours[node] where !seen[next] {
                    seen[next] = true
                    queue.append(next)
                }
            }
        }
        return components
    }

    /// Whether every node can reach every other node (gossip can reach consensus).
    public var isConnected: Bool { componentCount == 1 }

    // MARK: - Constructors

    /// The ring (cycle) on n nodes: i is linked to i − 1 and i + 1 mod n.
    ///
    /// - Throws: `PeerGraphError.tooFewNodes` if n < 3 (smaller "rings" would need parallel edges).
    public static func ring(_ n: Int) throws(PeerGraphError) -> PeerGraph {
        guard n >= 3 else { throw .tooFewNodes(topology: "ring", nodeCount: n, minimum: 3) }
        return PeerGraph(nodeCount: n, adjacency: (0..<n).map { [($0 + n - 1) % n, ($0 + 1) % n] })
    }

    /// The 2-D torus (grid with wrap-around) of `rows` × `columns` nodes; node r · columns + c sits at (r, c).
    ///
    /// Each node is linked to its up, down, left and right neighbours mod the grid size, so every node
    /// has degree 4.
    ///
    /// - Throws: `PeerGraphError.torusTooNarrow` unless rows ≥ 3 and columns ≥ 3 (a side of 2 or
    ///   less would make two of the four neighbours coincide or equal the node).
    public static func torus(rows: Int, columns: Int) throws(PeerGraphError) -> PeerGraph {
        guard rows >= 3 && columns >= 3 else { throw .torusTooNarrow(rows: rows, columns: columns) }
        let adjacency = (0..<(rows * columns)).map { node -> [Int] in
            let r = node / columns, c = node % columns
            return [((r + rows - 1) % rows) * columns + c, ((r + 1) % rows) * columns + c,
                    r * columns + (c + columns - 1) % columns, r * columns + (c + 1) % columns]
        }
        return PeerGraph(nodeCount: rows * columns, adjacency: adjacency)
    }

    /// The 2-D torus on n nodes with the most square shape: rows ≤ columns, rows · columns = n,
    /// rows as large as possible, both ≥ 3 (9 → 3 × 3, 12 → 3 × 4, 16 → 4 × 4, 18 → 3 × 6).
    ///
    /// - Throws: `PeerGraphError.noTorusShape` when n has no such factorisation (primes, n < 9,
    ///   2 · prime, …); the error names the nearest node counts that work.
    public static func torus(_ n: Int) throws(PeerGraphError) -> PeerGraph {
        guard let shape = torusShape(n) else {
            var smaller: Int?
            for m in stride(from: n - 1, through: 9, by: -1) where torusShape(m) != nil {
                smaller = m
                break
            }
            var larger = max(n + 1, 9)
            while torusShape(larger) == nil { larger += 1 }  // stops: every multiple of 3 from 9 on works
            throw .noTorusShape(nodeCount: n, smaller: smaller, larger: larger)
        }
        return try torus(rows: shape.rows, columns: shape.columns)
    }

    /// The most square rows × columns = n with 3 ≤ rows ≤ columns, or nil.
    static func torusShape(_ n: Int) -> (rows: Int, columns: Int)? {
        guard n >= 9 else { return nil }
        var root = 3
        while (root + 1) * (root + 1) <= n { root += 1 }
        for rows in stride(from: root, through: 3, by: -1) where n % rows == 0 {
            return (rows, n / rows)  // rows ≤ √n, so columns ≥ rows ≥ 3
        }
        return nil
    }

    /// The complete graph on n nodes: every pair is an edge.
    ///
    /// - Throws: `PeerGraphError.tooFewNodes` if n < 2.
    public static func complete(_ n: Int) throws(PeerGraphError) -> PeerGraph {
        guard n >= 2 else { throw .tooFewNodes(topology: "complete", nodeCount: n, minimum: 2) }
        return PeerGraph(nodeCount: n, adjacency: (0..<n).map { i in (0..<n).filter { $0 != i } })
    }

    /// An Erdős–Rényi G(n, p) graph: each pair i < j is an edge independently with probability p.
    ///
    /// Pairs are visited in the fixed order (0,1), (0,2), …, (0,n−1), (1,2), …, one uniform draw each
    /// from `RNGStream(seed: seed, purpose: .custom, round: erdosRenyiStreamRound)`; the pair is an
    /// edge when the draw is below p. The same (n, p, seed) therefore always gives the same graph, and
    /// p = 0 gives no edges, p = 1 the complete graph. The result may be disconnected.
    ///
    /// - Throws: `PeerGraphError.tooFewNodes` if n < 1; `.invalidProbability` unless 0 ≤ p ≤ 1.
    /// - Complexity: O(n²) draws.
    public static func erdosRenyi(_ n: Int, probability: Double, seed: UInt64) throws(PeerGraphError) -> PeerGraph {
        guard n >= 1 else { throw .tooFewNodes(topology: "erdos_renyi", nodeCount: n, minimum: 1) }
        guard probability >= 0 && probability <= 1 else { throw .invalidProbability(probability) }
        var rng = RNGStream(seed: seed, purpose: .custom, round: erdosRenyiStreamRound)
        var adjacency = [[Int]](repeating: [], count: n)
        for i in 0..<n {
            for j in (i + 1)..<n {
                guard rng.nextUnitDouble() < probability else { continue }  // one draw per pair, always
                adjacency[i].append(j)
                adjacency[j].append(i)
            }
        }
        return PeerGraph(nodeCount: n, adjacency: adjacency)
    }

    /// The graph on n nodes with the listed edges.
    ///
    /// Pairs are undirected: (i, j) and (j, i) are the same edge, and an edge listed more than once
    /// (in either direction) is kept once, so a list that spells out both directions is accepted.
    ///
    /// - Parameters:
    ///   - n: the number of nodes (isolated nodes are allowed).
    ///   - list: the edges as node pairs.
    /// - Throws: `PeerGraphError.tooFewNodes` if n < 1; `.nodeOutOfRange` for a node outside 0..<n;
    ///   `.selfLoop` for a pair (i, i). Each names the offending entry's position in `list`.
    public static func edges(_ n: Int, _ list: [(Int, Int)]) throws(PeerGraphError) -> PeerGraph {
        guard n >= 1 else { throw .tooFewNodes(topology: "edge list", nodeCount: n, minimum: 1) }
        var adjacency = [[Int]](repeating: [], count: n)
        for (index, (i, j)) in list.enumerated() {
            guard (0..<n).contains(i) && (0..<n).contains(j) else {
                throw .nodeOutOfRange(index: index, from: i, to: j, nodeCount: n)
            }
            guard i != j else { throw .selfLoop(index: index, node: i) }
            adjacency[i].append(j)
            adjacency[j].append(i)
        }
        return PeerGraph(nodeCount: n, adjacency: adjacency)
    }
}

/// Why a peer graph could not be built.
public enum PeerGraphError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The topology needs at least `minimum` nodes.
    case tooFewNodes(topology: String, nodeCount: Int, minimum: Int)
    /// A torus side is shorter than 3.
    case torusTooNarrow(rows: Int, columns: Int)
    /// n is not rows × columns with both ≥ 3; `smaller` and `larger` are the nearest counts that are.
    case noTorusShape(nodeCount: Int, smaller: Int?, larger: Int)
    /// An edge probability outside [0, 1] (or NaN).
    case invalidProbability(Double)
    /// Entry `index` of an edge list, the pair (from, to), names a node outside 0..<nodeCount.
    case nodeOutOfRange(index: Int, from: Int, to: Int, nodeCount: Int)
    /// Entry `index` of an edge list links `node` to itself.
    case selfLoop(index: Int, node: Int)

    public var description: String {
        switch self {
        case let .tooFewNodes(topology, nodeCount, minimum):
            return "a \(topology) graph needs at least \(minimum) nodes, got \(nodeCount)"
        case let .torusTooNarrow(rows, columns):
            return "a torus needs at least 3 rows and 3 columns, got \(rows) × \(columns)"
        case let .noTorusShape(nodeCount, smaller, larger):
            let nearest = smaller.map { "\($0) or \(larger)" } ?? "\(larger)"
            return "no 2-D torus has \(nodeCount) nodes: n must be rows × columns with rows, columns ≥ 3 "
                + "(9, 12, 15, 16, 18, 20, …); nearest: \(nearest)"
        case let .invalidProbability(p):
            return "edge probability must be in [0, 1], got \(p)"
        case let .nodeOutOfRange(index, from, to, nodeCount):
            return "edge \(index) (\(from), \(to)) names a node outside 0..<\(nodeCount)"
        case let .selfLoop(index, node):
            return "edge \(index) (\(node), \(node)) is a self loop"
        }
    }
}
