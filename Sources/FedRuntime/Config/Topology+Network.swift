import FedCore

extension Topology {
    /// `network:` — who talks to whom. `star` (the default) is a coordinator with clients; every other
    /// kind is a peer graph over the `federation.clients` nodes, gossiping with Metropolis–Hastings
    /// weights, for decentralized algorithms.
    ///
    ///     network: {kind: ring}                         # ring | torus | complete
    ///     network: {kind: torus, rows: 3, columns: 4}   # rows × columns = clients (default: most square)
    ///     network: {kind: erdos_renyi, p: 0.3, seed: 7} # seed: [the run seed]
    ///     network: {kind: edges, edges: [[0, 1], [1, 2], [2, 0]]}
    ///     network: {kind: torus, weights: lazy_metropolis_hastings}   # [metropolis_hastings]: (I + W)/2
    public struct NetworkSpec: Sendable {
        public var kind: String
        /// The peer graph (nil for a star).
        public var graph: PeerGraph?
        /// Mixing weights on the graph (nil for a star).
        public var mixing: MixingMatrix?
        /// ρ = ‖W − 11ᵀ/n‖₂ of the mixing matrix (below 1 exactly when the graph is connected).
        public var rho: Double?
        /// What the file said, for the resolved config.
        public var settings: [(key: String, value: String)]

        public var isPeerToPeer: Bool { graph != nil }
        public static let star = NetworkSpec(kind: "star", graph: nil, mixing: nil, rho: nil, settings: [])
    }

    public static let networkKinds = ["star", "ring", "torus", "complete", "erdos_renyi", "edges"]

    static func decodeNetwork(_ section: ConfigSection?, nodes: Int, seed: UInt64) throws(ConfigError) -> NetworkSpec {
        guard let section else { return .star }
        let kind = try section.string("kind", oneOf: networkKinds, default: "star")
        let weights = kind == "star" ? "metropolis_hastings"
            : try section.string("weights", oneOf: ["metropolis_hastings", "lazy_metropolis_hastings"], default: "metropolis_hastings")
        var settings = [(key: String, value: String)]()
        let graph: PeerGraph
        do {
            switch kind {
            case "star":
                try section.finish()
                return .star
            case "ring": graph = try PeerGraph.ring(nodes)
            case "complete": graph = try PeerGraph.complete(nodes)
            case "torus":
                if section.has("rows") || section.has("columns") {
                    let rows = try section.int("rows", range: 3...1_000_000)
                    let columns = try section.int("columns", range: 3...1_000_000)
                    guard rows * columns == nodes else {
                        throw section.error("rows", "a \(rows) × \(columns) torus has \(rows * columns) nodes, but federation.clients is \(nodes)")
                    }
                    graph = try PeerGraph.torus(rows: rows, columns: columns)
                    settings += [("rows", "\(rows)"), ("columns", "\(columns)")]
                } else {
                    graph = try PeerGraph.torus(nodes)
                }
            case "erdos_renyi":
                let p = try section.double("p", range: 0...1)
                let graphSeed = try section.uint64("seed", default: seed)
                graph = try PeerGraph.erdosRenyi(nodes, probability: p, seed: graphSeed)
                settings += [("p", "\(p)"), ("seed", "\(graphSeed)")]
            default:
                let list = try edgeList(section)
                graph = try PeerGraph.edges(nodes, list)
                settings.append(("edges", "[" + graph.edges.map { "[\($0.0), \($0.1)]" }.joined(separator: ", ") + "]"))
            }
        } catch let error as ConfigError {
            throw error
        } catch {
            throw section.error("kind", "\(error) (the graph has one node per client: federation.clients = \(nodes))")
        }
        try section.finish()
        guard graph.isConnected else {
            throw section.error("kind", "the \(kind) graph on \(nodes) nodes is disconnected (\(graph.componentCount) components): "
                                + "gossip cannot reach consensus")
        }
        let plain = MixingMatrix.metropolisHastings(graph)
        let mixing = weights == "lazy_metropolis_hastings" ? plain.lazy() : plain
        settings.append(("weights", weights))
        return NetworkSpec(kind: kind, graph: graph, mixing: mixing, rho: mixing.rho, settings: settings)
    }

    /// `edges: [[i, j], ...]`.
    private static func edgeList(_ section: ConfigSection) throws(ConfigError) -> [(Int, Int)] {
        guard let node = section.rawNode("edges"), case let .sequence(items) = node.value, !items.isEmpty else {
            throw section.error("edges", "expected a list of [i, j] pairs")
        }
        var list = [(Int, Int)]()
        for item in items {
            guard case let .sequence(pair) = item.value, pair.count == 2, let i = pair[0].scalarText.flatMap({ Int($0) }),
                  let j = pair[1].scalarText.flatMap({ Int($0) }) else {
                throw ConfigError(mark: item.mark, path: item.path, message: "expected an edge [i, j] of two node indices")
            }
            list.append((i, j))
        }
        return list
    }
}
