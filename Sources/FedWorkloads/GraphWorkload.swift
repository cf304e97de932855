import FedCore
import FedModels

/// `workload.dataset:` settings of the graph data sets (cora, planetoid, graph_csv).
public struct GraphDataSpec: Sendable, Equatable {
    /// planetoid: the folder with the `ind.<prefix>.*` files (cora: optional, the bundled copy by default).
    public var directory: String?
    public var prefix = "cora"
    /// graph_csv: the node and edge files.
    public var nodesPath: String?
    public var edgesPath: String?
    /// Keep the data set's own train/validation/test nodes (Planetoid's 140/500/1000 on Cora) instead of
    /// splitting each client's labelled nodes.
    public var useDatasetSplit = false
    public var trainFraction = 0.2
    public var validationFraction = 0.2
    /// Divide each node's features by their sum (Kipf's preprocessing).
    public var normalizeFeatures = true
}

/// A graph data set divided among the clients: every process builds it identically from the seed.
public struct GraphWorkload: Sendable {
    public let graph: GraphDataset
    /// The features the networks read (row-normalised when the spec asks).
    public let features: SparseMatrix
    public let shards: [GraphShard]
    /// Edges whose ends landed on different clients (lost to the split).
    public let cutEdges: Int

    /// The client's subgraph inputs for `network` (built once per hosted client by its worker).
    public func client(_ id: Int, network: GraphConvNet) -> GraphClient {
        let shard = shards[id]
        let (rows, labels) = shard.subgraph(of: graph, features: features)
        let adjacency = SparseMatrix.normalizedAdjacency(nodeCount: shard.nodes.count, edges: shard.edges)
        return GraphClient(network: network, inputs: GraphInputs(features: rows, adjacency: adjacency, labels: labels),
                           train: shard.train, validation: shard.validation, test: shard.test)
    }

    /// The weight of each client's update: its training nodes (at least 1, the wire's minimum).
    public var shardSizes: [Int] { shards.map { max($0.train.count, 1) } }

    /// Per client: nodes, kept edges, train/validation/test nodes and the class histogram, as CSV.
    public func statisticsCSV() -> String {
        let classes = (0..<graph.classCount).map { "class_\($0)" }.joined(separator: ",")
        var lines = ["client,nodes,edges,train,validation,test,\(classes)"]
        for (id, shard) in shards.enumerated() {
            lines.append("\(id),\(shard.nodes.count),\(shard.edges.count),\(shard.train.count),\(shard.validation.count),"
                         + "\(shard.test.count),\(shard.classHistogram.map(String.init).joined(separator: ","))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Loads the graph named by the spec and splits it among `context.clients` clients.
    static func prepare(_ context: WorkloadContext) throws -> GraphWorkload {
        let spec = context.workload.dataset
        let data = spec.graph
        let graph: GraphDataset
        switch spec.name {
        case "graph_csv":
            guard let nodes = data.nodesPath, let edges = data.edgesPath else {
                throw DataError.unreadable(path: "workload.dataset", reason: "graph_csv needs `nodes` and `edges` files")
            }
            graph = try GraphCSVLoader.load(nodes: nodes, edges: edges)
        default:
            let directory = try data.directory ?? PreparedWorkload.path(nil, bundled: "cora/planetoid/ind.cora.x", context)
                .replacingSuffix("/ind.cora.x")
            graph = try PlanetoidLoader.load(directory: directory, prefix: spec.name == "cora" ? "cora" : data.prefix)
        }
        guard let partition = context.workload.graphPartition else {
            throw DataError.impossiblePartition(reason: "a graph data set needs a graph partition (whole, dirichlet or communities)")
        }
        if data.useDatasetSplit && graph.split == nil {
            throw DataError.impossiblePartition(reason: "split: dataset needs a data set that ships a split (Planetoid files do; CSV graphs do not)")
        }
        var rng = RNGStream(seed: context.seed, purpose: .partition)
        let assignment = try partition.assign(graph, clients: context.clients, rng: &rng)
        var splitRNG = RNGStream(seed: context.seed, purpose: .dataSplit)
        let (shards, cut) = GraphShard.make(graph: graph, assignment: assignment, trainFraction: data.trainFraction,
                                            validationFraction: data.validationFraction, useDatasetSplit: data.useDatasetSplit,
                                            rng: &splitRNG)
        return GraphWorkload(graph: graph, features: data.normalizeFeatures ? graph.rowNormalizedFeatures() : graph.features,
                             shards: shards, cutEdges: cut)
    }
}

extension String {
    func replacingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
