import FedAlgorithms
import FedCore
import FedModels

/// The five decentralized bilevel methods of optimization spec §4.7 claim 1.
enum PeerVariant: String, CaseIterable, Sendable, CustomStringConvertible {
    case localHypergradient = "G0"
    case jhip = "JHIP(x)"
    case maDSBO = "MA-DSBO"
    case jhipGT = "JHIP-GT"
    case maDSBOGT = "MA-DSBO-GT"

    var description: String { rawValue }

    /// Whether every loop (y, the linear solve, x) tracks its direction.
    var fullyTracked: Bool { self == .jhipGT || self == .maDSBOGT }

    func algorithm(_ settings: PeerBilevelSettings, tau: Float = 1) -> any PeerAlgorithm {
        switch self {
        case .localHypergradient: DBOLocalHypergradient(settings: settings)
        case .jhip: DBOJHIP(settings: settings, tracking: .x)
        case .maDSBO: MADSBO(settings: settings, movingAverage: tau, tracking: .none)
        case .jhipGT: DBOJHIP(settings: settings, tracking: .all)
        case .maDSBOGT: MADSBO(settings: settings, movingAverage: tau, tracking: .all)
        }
    }

    /// Floats per node per iteration from the formulas of spec §4.7 claim 3, written out here
    /// independently of the algorithms' own `floatsPerIteration`.
    func specFloats(degree: Int, p: Int, q: Int, t: Int, n: Int) -> Int {
        switch self {
        case .localHypergradient: degree * (t * q + p)
        case .jhip: degree * (t * q + n * p * q + 2 * p)
        case .maDSBO: degree * (t * q + n * q + p)
        case .jhipGT: degree * (2 * t * q + 2 * n * p * q + 2 * p)
        case .maDSBOGT: degree * (2 * t * q + 2 * n * q + 2 * p)
        }
    }
}

/// Graphs the tests run on.
enum PeerTopology: String, CaseIterable, Sendable, CustomStringConvertible {
    case ring, torus, complete
    var description: String { rawValue }

    /// The graph on `n` nodes (the torus needs a shape such as 9 = 3 × 3).
    func graph(_ n: Int) throws -> PeerGraph {
        switch self {
        case .ring: try PeerGraph.ring(n)
        case .torus: try PeerGraph.torus(n)
        case .complete: try PeerGraph.complete(n)
        }
    }
}

/// Quadratic bilevel problems with one node per data row, and simulators over them.
enum PeerFixtures {
    /// One shard per row: node i holds row i.
    static func rowShards(_ data: Dataset) -> [DatasetShard] { (0..<data.count).map { DatasetShard(base: data, indices: [$0]) } }

    /// A simulator over `graph` with Metropolis–Hastings weights; every node starts from `parameters`
    /// (the origin by default).
    static func simulator(_ algorithm: any PeerAlgorithm, model: QuadraticBilevelModel, shards: [DatasetShard],
                          graph: PeerGraph, parameters: [Float]? = nil, seed: UInt64 = 21) throws -> PeerSimulator {
        try PeerSimulator(algorithm: algorithm, problem: model, graph: graph, mixing: .metropolisHastings(graph), shards: shards,
                          parameters: parameters ?? [Float](repeating: 0, count: model.upperCount + model.lowerCount), seed: seed)
    }

    /// ‖∇Φ(x̄)‖ of the problem whose per-node rows are `data` (exact, from the averaged coefficients).
    static func hypergradientNorm(_ simulator: PeerSimulator, model: QuadraticBilevelModel, data: Dataset) -> Double {
        let point = simulator.meanPoint.map { Float($0) }
        let metrics = model.evaluationMetrics(parameters: point, on: data, workspace: nil)
        return (metrics["hypergrad_norm_sq"] ?? .nan).squareRoot()
    }

    /// A fixed, non-trivial (x, y).
    static func point(count: Int, seed: UInt64 = 13) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .custom)
        return (0..<count).map { _ in Float(rng.nextGaussian()) }
    }
}
