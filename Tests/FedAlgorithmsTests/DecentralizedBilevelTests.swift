import FedAlgorithms
import FedCore
import FedModels
import Testing

private typealias F = PeerFixtures

/// The decentralized bilevel methods against optimization spec §4.7 claim 1 (heterogeneity bias vs
/// gradient tracking) on the heterogeneous quadratic of §4.6, whose ∇Φ is exact, and the gradient
/// tracking invariant behind it.
@Suite struct DecentralizedBilevelTests {
    static let p = 4, q = 4, nodes = 8
    /// Claim 1's schedule: T = N = 5, β = γ = 0.05, α = 0.02 (τ = 1 is passed separately).
    static let claimSettings = PeerBilevelSettings(innerSteps: 5, linearSteps: 5, lrInner: 0.05, lrLinear: 0.05, lrOuter: 0.02)
    static let model = QuadraticBilevelModel(upper: p, lower: q)
    /// Strongly heterogeneous nodes: each node's coefficients differ from the shared draw by as much
    /// as the shared draw itself (heterogeneity 1; L_g ≈ 3, so β·L_g ≈ 0.15 stays in GT's range).
    static let data = QuadraticBilevel.make(clients: nodes, upper: p, lower: q, heterogeneity: 1, seed: 7)

    // MARK: - Claim 1

    /// The spec runs 3 000 iterations. Here the untracked methods stop at 750, where their plateau
    /// has settled to within 2 %, and the tracked ones at 2 000, where they sit near 2e-4 and still
    /// fall (3e-5 at 3 000 on both graphs), which keeps the debug build's test short.
    @Test(arguments: [PeerTopology.ring, .complete])
    func heterogeneousNodes_onlyFullyTrackedVariantsReachTheStationaryPoint(topology: PeerTopology) throws {
        let graph = try topology.graph(Self.nodes)
        var rows = [String]()
        for variant in PeerVariant.allCases {
            var simulator = try F.simulator(variant.algorithm(Self.claimSettings, tau: 1), model: Self.model,
                                            shards: F.rowShards(Self.data), graph: graph)
            let iterations = variant.fullyTracked ? 2000 : 750
            try simulator.run(iterations: iterations)
            let norm = F.hypergradientNorm(simulator, model: Self.model, data: Self.data)
            let consensus = simulator.consensusError
            rows.append("\(variant) after \(iterations): ‖∇Φ(x̄)‖ = \(norm), consensus error = \(consensus)")
            if variant.fullyTracked {
                #expect(norm < 1e-3, "\(variant) on \(topology): ‖∇Φ(x̄)‖ = \(norm)")
                #expect(consensus < 1e-10, "\(variant) on \(topology): consensus error \(consensus)")
            }
            if variant == .localHypergradient {
                #expect(norm > 0.1, "G0 on \(topology) uses local Hessians, so it must stay biased; ‖∇Φ(x̄)‖ = \(norm)")
            }
        }
        print("decentralized bilevel on a \(topology) of \(Self.nodes) (spec §4.7 claim 1):\n  " + rows.joined(separator: "\n  "))
    }

    @Test func restartedTrackers_bringTheHeterogeneityBiasBack() throws {
        // Restarting the y and z trackers at their local directions every iteration (s = q) makes the
        // nodes disagree afresh each time, so consensus on y*(x) is no longer a fixed point. Measured:
        // ‖∇Φ(x̄)‖ ≈ 0.046 on the ring at 3 000 iterations, against 3e-5 with persistent trackers.
        var settings = Self.claimSettings
        settings.restartTrackers = true
        var simulator = try F.simulator(PeerVariant.maDSBOGT.algorithm(settings, tau: 1), model: Self.model,
                                        shards: F.rowShards(Self.data), graph: try PeerGraph.ring(Self.nodes))
        try simulator.run(iterations: 750)
        let norm = F.hypergradientNorm(simulator, model: Self.model, data: Self.data)
        print("MA-DSBO-GT with restarted trackers, ring, 750 iterations: ‖∇Φ(x̄)‖ = \(norm)")
        #expect(norm > 1e-2, "‖∇Φ(x̄)‖ = \(norm)")
    }

    // MARK: - Gradient tracking invariant

    /// Mean over nodes of the tracker of `key` and of the direction it tracks, in Double.
    static func means(_ states: [PeerState], _ key: String) -> (tracker: [Double], direction: [Double])? {
        guard let count = states.first?[PeerStateKeys.tracker(of: key)]?.count else { return nil }
        var tracker = [Double](repeating: 0, count: count), direction = tracker
        for state in states {
            for k in 0..<count {
                tracker[k] += Double(state[PeerStateKeys.tracker(of: key)]![k]) / Double(states.count)
                direction[k] += Double(state[PeerStateKeys.trackedDirection(of: key)]![k]) / Double(states.count)
            }
        }
        return (tracker, direction)
    }

    @Test(arguments: [PeerVariant.jhip, .jhipGT, .maDSBOGT])
    func trackedLoops_keepTheTrackerMeanEqualToTheDirectionMean(variant: PeerVariant) throws {
        var simulator = try F.simulator(variant.algorithm(Self.claimSettings, tau: 0.2), model: Self.model,
                                        shards: F.rowShards(Self.data), graph: try PeerGraph.ring(Self.nodes),
                                        parameters: F.point(count: Self.p + Self.q))
        for iteration in 0..<40 {
            try simulator.runIteration()
            // The x tracker follows what moves x: u for JHIP, the moving average r for MA-DSBO-GT.
            let tracked = variant == .maDSBOGT ? "r" : "u"
            for state in simulator.states { #expect(state[PeerStateKeys.trackedDirection(of: "x")] == state[tracked]) }
            let keys = variant.fullyTracked ? ["x", "y", variant == .jhipGT ? "Z" : "z"] : ["x"]
            for key in keys {
                let (tracker, direction) = try #require(Self.means(simulator.states, key), "no tracker on \(key)")
                for k in tracker.indices {
                    // Each step rounds every node's s to Float once more; the drift stays at that level.
                    let tolerance = 1e-5 * max(1, abs(direction[k]))
                    #expect(abs(tracker[k] - direction[k]) <= tolerance,
                            "\(variant), iteration \(iteration), \(key)[\(k)]: mean s \(tracker[k]) vs mean q \(direction[k])")
                }
            }
        }
    }
}
