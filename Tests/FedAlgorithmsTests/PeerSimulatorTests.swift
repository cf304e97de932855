import FedAlgorithms
import FedCore
import FedModels
import Testing

private typealias F = PeerFixtures

/// The in-memory peer host: its communication counters against the spec's formulas (optimization
/// §4.7 claim 3) and its random streams.
@Suite struct PeerSimulatorTests {
    // p ≠ q and T ≠ N, so a formula that swaps them is caught.
    static let p = 3, q = 5, t = 2, n = 3
    static let settings = PeerBilevelSettings(innerSteps: t, linearSteps: n)
    static let model = QuadraticBilevelModel(upper: p, lower: q)

    static func floatsPerIteration(_ algorithm: any PeerAlgorithm, degree: Int) -> Int? {
        switch algorithm {
        case let a as DBOLocalHypergradient: a.floatsPerIteration(degree: degree, p: p, q: q)
        case let a as DBOJHIP: a.floatsPerIteration(degree: degree, p: p, q: q)
        case let a as MADSBO: a.floatsPerIteration(degree: degree, p: p, q: q)
        default: nil
        }
    }

    @Test(arguments: PeerVariant.allCases, PeerTopology.allCases)
    func floatsSent_matchTheSpecFormula(variant: PeerVariant, topology: PeerTopology) throws {
        let graph = try topology.graph(9)  // ring: degree 2, 3 × 3 torus: 4, complete: 8
        let data = QuadraticBilevel.make(clients: 9, upper: Self.p, lower: Self.q, heterogeneity: 1, seed: 3)
        let algorithm = variant.algorithm(Self.settings, tau: 0.5)
        var simulator = try F.simulator(algorithm, model: Self.model, shards: F.rowShards(data), graph: graph)
        try simulator.run(iterations: 2)
        for node in 0..<9 {
            let degree = graph.degree(node)
            let spec = variant.specFloats(degree: degree, p: Self.p, q: Self.q, t: Self.t, n: Self.n)
            #expect(simulator.lastIterationFloats[node] == spec, "\(variant) on \(topology), node \(node) of degree \(degree)")
            #expect(simulator.totalFloats[node] == 2 * spec)
            #expect(Self.floatsPerIteration(algorithm, degree: degree) == spec, "\(variant): floatsPerIteration disagrees with the spec")
        }
    }

    @Test(arguments: PeerVariant.allCases)
    func steps_listLowerThenLinearThenOneUpper(variant: PeerVariant) {
        let steps = variant.algorithm(Self.settings).steps
        let linear = variant == .localHypergradient ? 0 : Self.n  // G0 solves locally, without messages
        #expect(steps.map(\.tag) == (0..<Self.t).map { "lower.\($0)" } + (0..<linear).map { "linear.\($0)" } + ["upper.0"])
    }

    @Test func stream_keysTheRoundByIterationAndStep() {
        var derived = PeerSimulator.stream(seed: 5, node: 3, iteration: 7, step: 2)
        var direct = RNGStream(seed: 5, purpose: .localTraining, client: 3, round: 7 << 16 | 2)
        #expect(derived.next() == direct.next())
    }

    @Test(arguments: [PeerVariant.localHypergradient, .jhipGT, .maDSBO])
    func minibatchOracles_sameSeedRepeats_otherSeedDiffers(variant: PeerVariant) throws {
        // Noisy oracles and a minibatch of 2 of each node's 3 rows: every draw comes from the simulator's streams.
        let noisy = QuadraticBilevelModel(upper: Self.p, lower: Self.q, noise: 0.5)
        let data = QuadraticBilevel.make(clients: 12, upper: Self.p, lower: Self.q, heterogeneity: 1, seed: 3)
        let shards = (0..<4).map { DatasetShard(base: data, indices: [3 * $0, 3 * $0 + 1, 3 * $0 + 2]) }
        var settings = Self.settings
        settings.batch = 2
        func run(seed: UInt64) throws -> [[Float]] {
            var simulator = try F.simulator(variant.algorithm(settings, tau: 0.5), model: noisy, shards: shards,
                                            graph: try PeerGraph.ring(4), seed: seed)
            try simulator.run(iterations: 3)
            return simulator.points
        }
        let first = try run(seed: 1)
        #expect(try run(seed: 1) == first)
        #expect(try run(seed: 2) != first)
        #expect(Set(first.map { $0.map(\.bitPattern) }).count > 1, "nodes draw from their own streams")
    }

    @Test func meanPointAndConsensusError_describeTheNodes() throws {
        let data = QuadraticBilevel.make(clients: 4, upper: Self.p, lower: Self.q, heterogeneity: 1, seed: 3)
        var simulator = try F.simulator(MADSBO(settings: Self.settings), model: Self.model, shards: F.rowShards(data),
                                        graph: try PeerGraph.ring(4))
        #expect(simulator.consensusError == 0, "every node starts from the same point")
        try simulator.run(iterations: 2)
        let points = simulator.points
        var expected = 0.0
        for j in 0..<Self.p {
            let mean = points.reduce(0) { $0 + Double($1[j]) } / 4
            #expect(abs(simulator.meanUpper[j] - mean) <= 1e-12)
            expected += points.reduce(0) { $0 + (Double($1[j]) - mean) * (Double($1[j]) - mean) } / 4
        }
        #expect(simulator.consensusError > 0, "heterogeneous nodes drift apart")
        #expect(abs(simulator.consensusError - expected) <= 1e-12 * max(1, expected))
        #expect(simulator.metrics["hypergrad_estimate_norm"]?.isFinite == true)
    }
}
