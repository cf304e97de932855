/// How a graph's nodes are divided among clients (horizontal graph federated learning): each client
/// holds a subgraph, and an edge survives only when both its ends land on the same client.
///
/// Every split is a pure function of the graph, the client count and the random stream, so every
/// process builds the same subgraphs without any graph data travelling.
public enum GraphPartition: Sendable, Equatable {
    /// One client holds the whole graph (the centralised reference).
    case whole
    /// Node label skew: for each class c, shares π_c ~ Dirichlet(β·1) over the clients; the class's
    /// nodes, shuffled, are cut by those shares. Unlabelled nodes are dealt evenly.
    case dirichlet(beta: Double)
    /// Louvain communities (modularity, `Louvain`), dealt largest first to the client with the fewest
    /// nodes so far: a structure-heterogeneous split.
    case communities

    /// Each client's nodes (global ids, ascending).
    public func assign(_ graph: GraphDataset, clients: Int, rng: inout RNGStream) throws(DataError) -> [[Int]] {
        guard clients > 0 else { throw .impossiblePartition(reason: "the client count must be positive") }
        guard graph.nodeCount >= clients else {
            throw .impossiblePartition(reason: "\(graph.nodeCount) nodes cannot give each of \(clients) clients one")
        }
        switch self {
        case .whole:
            guard clients == 1 else { throw .impossiblePartition(reason: "partition kind whole needs exactly 1 client, not \(clients)") }
            return [Array(0..<graph.nodeCount)]
        case let .dirichlet(beta):
            let labelled = graph.labels.indices.filter { graph.labels[$0] >= 0 }
            let shards = try Partition.dirichlet(alpha: beta, minimumPerClient: 1)
                .assign(labels: labelled.map { graph.labels[$0] }, classCount: graph.classCount, clients: clients, rng: &rng)
            var nodes = shards.map { $0.map { labelled[$0] } }
            var unlabelled = graph.labels.indices.filter { graph.labels[$0] < 0 }
            rng.shuffle(&unlabelled)
            for (position, node) in unlabelled.enumerated() { nodes[position % clients].append(node) }
            return nodes.map { $0.sorted() }
        case .communities:
            let community = Louvain.communities(nodeCount: graph.nodeCount, edges: graph.edges, rng: &rng)
            var members = [[Int]](repeating: [], count: (community.max() ?? -1) + 1)
            for node in 0..<graph.nodeCount { members[community[node]].append(node) }
            // Largest first (ties: lowest community id), each to the currently smallest client.
            let order = members.indices.sorted { (members[$0].count, -$0) > (members[$1].count, -$1) }
            var nodes = [[Int]](repeating: [], count: clients)
            for index in order {
                let target = nodes.indices.min { (nodes[$0].count, $0) < (nodes[$1].count, $1) }!
                nodes[target] += members[index]
            }
            guard nodes.allSatisfy({ !$0.isEmpty }) else {
                throw .impossiblePartition(reason: "the graph has \(members.count) communities, fewer than \(clients) clients")
            }
            return nodes.map { $0.sorted() }
        }
    }
}

/// One client's subgraph: its nodes, the edges between them, and its own train/validation/test nodes.
public struct GraphShard: Sendable, Equatable {
    /// Global ids of the client's nodes, ascending; local node i is global node `nodes[i]`.
    public var nodes: [Int]
    /// Edges with both ends on this client, in local ids.
    public var edges: [GraphEdge]
    /// Local ids of the nodes whose labels train, select and test the client's model.
    public var train: [Int]
    public var validation: [Int]
    public var test: [Int]
    /// Labelled nodes per class.
    public var classHistogram: [Int]

    /// Cuts `graph` into the clients' subgraphs; within each client the labelled nodes of every class
    /// are shuffled and split `trainFraction` / `validationFraction` / the rest (stratified). With
    /// `useDatasetSplit` (and a data set split present) the data set's own split is kept instead.
    ///
    /// - Returns: the shards and the number of edges the partition cut.
    public static func make(graph: GraphDataset, assignment: [[Int]], trainFraction: Double, validationFraction: Double,
                            useDatasetSplit: Bool, rng: inout RNGStream) -> (shards: [GraphShard], cutEdges: Int) {
        var owner = [Int](repeating: -1, count: graph.nodeCount)
        var localIndex = [Int](repeating: -1, count: graph.nodeCount)
        for (client, nodes) in assignment.enumerated() {
            for (local, node) in nodes.enumerated() {
                owner[node] = client
                localIndex[node] = local
            }
        }
        var edges = [[GraphEdge]](repeating: [], count: assignment.count)
        var cut = 0
        for edge in graph.edges {
            let (a, b) = (Int(edge.a), Int(edge.b))
            guard owner[a] == owner[b], owner[a] >= 0 else { cut += 1; continue }
            // Local ids keep the global order, so a < b still holds and the list stays sorted.
            edges[owner[a]].append(GraphEdge(localIndex[a], localIndex[b])!)
        }
        var datasetRole = [Int](repeating: -1, count: graph.nodeCount)  // 0 train, 1 validation, 2 test
        if useDatasetSplit, let split = graph.split {
            for node in split.train { datasetRole[node] = 0 }
            for node in split.validation { datasetRole[node] = 1 }
            for node in split.test { datasetRole[node] = 2 }
        }
        var shards = [GraphShard]()
        for (client, nodes) in assignment.enumerated() {
            var shard = GraphShard(nodes: nodes, edges: edges[client], train: [], validation: [], test: [],
                                   classHistogram: [Int](repeating: 0, count: graph.classCount))
            var byClass = [[Int]](repeating: [], count: graph.classCount)
            for (local, node) in nodes.enumerated() where graph.labels[node] >= 0 {
                byClass[Int(graph.labels[node])].append(local)
                shard.classHistogram[Int(graph.labels[node])] += 1
            }
            if useDatasetSplit && graph.split != nil {
                for (local, node) in nodes.enumerated() {
                    switch datasetRole[node] {
                    case 0: shard.train.append(local)
                    case 1: shard.validation.append(local)
                    case 2: shard.test.append(local)
                    default: break
                    }
                }
            } else {
                for var members in byClass {
                    rng.shuffle(&members)
                    let trainCount = Int((Double(members.count) * trainFraction).rounded())
                    let validationCount = min(members.count - trainCount, Int((Double(members.count) * validationFraction).rounded()))
                    shard.train += members[0..<trainCount]
                    shard.validation += members[trainCount..<(trainCount + validationCount)]
                    shard.test += members[(trainCount + validationCount)...]
                }
                shard.train.sort()
                shard.validation.sort()
                shard.test.sort()
            }
            shards.append(shard)
        }
        return (shards, cut)
    }

    /// The client's rows of `features` (the graph's, possibly row-normalised) and its nodes' labels.
    public func subgraph(of graph: GraphDataset, features: SparseMatrix) -> (features: SparseMatrix, labels: [Int32]) {
        var rowStarts = [0]
        var columns = [Int32]()
        var values = [Float]()
        rowStarts.reserveCapacity(nodes.count + 1)
        for node in nodes {
            for position in features.rowStarts[node]..<features.rowStarts[node + 1] {
                columns.append(features.columns[position])
                values.append(features.values[position])
            }
            rowStarts.append(columns.count)
        }
        // Rows copied from a valid matrix keep every CSR invariant.
        guard let rows = try? SparseMatrix(rowCount: nodes.count, columnCount: features.columnCount, rowStarts: rowStarts,
                                           columns: columns, values: values) else {
            preconditionFailure("rows of a valid matrix failed the CSR checks")
        }
        return (rows, nodes.map { graph.labels[$0] })
    }
}
