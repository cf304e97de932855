import FedCore
import FedModels

/// Runs a `PeerAlgorithm` with every node in memory: no transport, the same mixing routine
/// (`PeerMixing.mix`) and the same RNG derivation as the networked runtime, so a run here equals
/// the distributed run of the same seed bit for bit. Enough to test the maths of decentralized
/// algorithms and to measure them on small graphs.
///
/// Every step of an outer iteration runs in three passes: `prepare` on every node in node order,
/// then each node's mix over itself and its neighbours with weights w_ij, then `advance` on every
/// node. Randomness: node i, iteration k, step s (its position in `algorithm.steps`) draws from
/// `stream(seed:node:iteration:step:)`; the initial state of node i from `initialStream(seed:node:)`.
public struct PeerSimulator {
    /// What every node runs.
    public let algorithm: any PeerAlgorithm
    /// The oracles every node calls on its own shard.
    public let problem: any BilevelProblem
    /// Who gossips with whom.
    public let graph: PeerGraph
    /// The weights w_ij of every mix.
    public let mixing: MixingMatrix
    /// `shards[i]`: node i's rows.
    public let shards: [DatasetShard]
    /// The run seed every stream derives from.
    public let seed: UInt64
    /// `states[i]`: node i's state after the last completed iteration.
    public private(set) var states: [PeerState]
    /// Outer iterations completed (the next one has this 0-based index).
    public private(set) var iteration = 0
    /// Floats node i sent during the last completed iteration, to all its neighbours together:
    /// Σ over steps of degree(i) × floats it prepared.
    public private(set) var lastIterationFloats: [Int]
    /// Floats node i has sent since the start.
    public private(set) var totalFloats: [Int]

    /// Builds every node's initial state from the same `parameters` (x, y).
    ///
    /// - Throws: `AlgorithmError` if the algorithm rejects the parameters.
    public init(algorithm: any PeerAlgorithm, problem: any BilevelProblem, graph: PeerGraph, mixing: MixingMatrix,
                shards: [DatasetShard], parameters: [Float], seed: UInt64) throws(AlgorithmError) {
        let n = graph.nodeCount
        precondition(mixing.nodeCount == n && shards.count == n,
                     "graph has \(n) nodes, mixing matrix \(mixing.nodeCount), shards \(shards.count)")
        precondition(algorithm.steps.count < 1 << 16, "\(algorithm.steps.count) steps do not fit the 16-bit step field of the RNG key")
        (self.algorithm, self.problem, self.graph, self.mixing, self.shards, self.seed) = (algorithm, problem, graph, mixing, shards, seed)
        var states = [PeerState]()
        for node in 0..<n {
            var context = PeerContext(problem: problem, data: shards[node], rng: Self.initialStream(seed: seed, node: node), iteration: 0)
            states.append(try algorithm.initialState(parameters: parameters, context: &context))
        }
        self.states = states
        lastIterationFloats = [Int](repeating: 0, count: n)
        totalFloats = lastIterationFloats
    }

    // MARK: - Randomness

    /// The stream of node `node` in step `step` (position within the iteration) of outer iteration
    /// `iteration`: purpose `.localTraining`, client = node, round = iteration << 16 | step.
    /// Hosts of peers over the network derive it the same way.
    public static func stream(seed: UInt64, node: Int, iteration: Int, step: Int) -> RNGStream {
        RNGStream(seed: seed, purpose: .localTraining, client: UInt64(node), round: UInt64(iteration) << 16 | UInt64(step))
    }

    /// The stream node `node` builds its initial state from: purpose `.parameterInit`, client = node.
    public static func initialStream(seed: UInt64, node: Int) -> RNGStream {
        RNGStream(seed: seed, purpose: .parameterInit, client: UInt64(node))
    }

    // MARK: - Running

    /// Runs one outer iteration on every node.
    ///
    /// - Throws: `AlgorithmError` from the algorithm or the mix; the states are then those of the
    ///   failed step's start or later, and the simulator should not be run further.
    public mutating func runIteration() throws(AlgorithmError) {
        let n = graph.nodeCount
        var sent = [Int](repeating: 0, count: n)
        for (index, step) in algorithm.steps.enumerated() {
            var contexts = (0..<n).map { node in
                PeerContext(problem: problem, data: shards[node],
                            rng: Self.stream(seed: seed, node: node, iteration: iteration, step: index), iteration: iteration)
            }
            var outgoing = [[NamedTensor]]()
            outgoing.reserveCapacity(n)
            for node in 0..<n {
                let tensors = try algorithm.prepare(step: step, state: &states[node], context: &contexts[node])
                sent[node] += graph.degree(node) * tensors.reduce(0) { $0 + $1.values.count }
                outgoing.append(tensors)
            }
            for node in 0..<n {
                let contributions = ([node] + graph.neighbours[node]).map {
                    PeerMixing.Contribution(node: $0, weight: mixing.weight(node, $0), tensors: outgoing[$0])
                }
                let mixed = try PeerMixing.mix(contributions)
                try algorithm.advance(step: step, state: &states[node], mixed: mixed, context: &contexts[node])
            }
        }
        lastIterationFloats = sent
        for node in 0..<n { totalFloats[node] += sent[node] }
        iteration += 1
    }

    /// Runs `count` outer iterations.
    public mutating func run(iterations count: Int) throws(AlgorithmError) {
        for _ in 0..<count { try runIteration() }
    }

    // MARK: - Observables

    /// Every node's (x, y).
    public var points: [[Float]] { states.map(algorithm.point(of:)) }

    /// The node average of (x, y), summed in Double in node order; x̄ is its first p values.
    public var meanPoint: [Double] {
        let all = points
        guard let first = all.first else { return [] }
        var sum = [Double](repeating: 0, count: first.count)
        for point in all { for k in 0..<sum.count { sum[k] += Double(point[k]) } }
        return sum.map { $0 / Double(all.count) }
    }

    /// x̄, the node average of the upper variables.
    public var meanUpper: [Double] { Array(meanPoint.prefix(problem.upperCount)) }

    /// (1/n) Σ_i ‖x_i − x̄‖², how far the nodes are from agreeing on x.
    public var consensusError: Double {
        let p = problem.upperCount, mean = meanUpper
        var total = 0.0
        for point in points { for j in 0..<p { total += (Double(point[j]) - mean[j]) * (Double(point[j]) - mean[j]) } }
        return total / Double(max(graph.nodeCount, 1))
    }

    /// The algorithm's per-peer metrics averaged over nodes, plus `consensus_error`.
    public var metrics: [String: Double] {
        var result = ["consensus_error": consensusError]
        for name in algorithm.metricNames {
            result[name] = states.reduce(0) { $0 + (algorithm.peerMetrics(state: $1)[name] ?? .nan) } / Double(max(states.count, 1))
        }
        return result
    }
}
