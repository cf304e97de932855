import FedAlgorithms
import FedCore
import FedModels
import Testing

private typealias F = PeerFixtures

/// Optimization spec §4.7 claim 5: with deterministic oracles, identical data and identical
/// initialisation on every node, gossip is a no-op, so every decentralized method reproduces its
/// centralised counterpart (the same algorithm on one node) exactly, for any W.
///
/// Exactness: with identical nodes, Mix(v)_i = Σ_j w_ij v in Double, then rounded to Float. The
/// weights sum to 1 up to a few ulps of Double (2⁻⁵²), far below half an ulp of Float (2⁻²⁴), so the
/// rounding returns v itself; the single node's mix 1.0·v is v too. Hence bit-identical states.
@Suite struct CentralisedCounterpartTests {
    static let p = 3, q = 4, nodes = 8
    static let settings = PeerBilevelSettings(innerSteps: 3, linearSteps: 4, lrInner: 0.1, lrLinear: 0.1, lrOuter: 0.05)
    static let model = QuadraticBilevelModel(upper: p, lower: q)
    static let data = QuadraticBilevel.make(clients: nodes, upper: p, lower: q, heterogeneity: 1, seed: 17)
    static let start = F.point(count: p + q)

    /// Runs `algorithm` for `iterations` on `graph`, every node holding row 0 of `data`.
    static func points(_ algorithm: any PeerAlgorithm, on graph: PeerGraph, iterations: Int) throws -> [[Float]] {
        let shards = [DatasetShard](repeating: DatasetShard(base: data, indices: [0]), count: graph.nodeCount)
        var simulator = try F.simulator(algorithm, model: model, shards: shards, graph: graph, parameters: start)
        try simulator.run(iterations: iterations)
        return simulator.points
    }

    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    @Test(arguments: PeerVariant.allCases)
    func identicalNodes_anyMixingMatrix_matchTheSingleNodeRunBitForBit(variant: PeerVariant) throws {
        let algorithm = variant.algorithm(Self.settings, tau: 0.2)
        let single = try Self.points(algorithm, on: try PeerGraph.edges(1, []), iterations: 15)[0]
        #expect(single != Self.start, "the run must move")
        // Ring (w = 1/3), complete (1/8), and 8 isolated nodes (W = I).
        for (label, graph) in [("ring", try PeerGraph.ring(Self.nodes)), ("complete", try PeerGraph.complete(Self.nodes)),
                               ("W = I", try PeerGraph.edges(Self.nodes, []))] {
            let points = try Self.points(algorithm, on: graph, iterations: 15)
            for (node, point) in points.enumerated() {
                #expect(Self.bits(point) == Self.bits(single), "\(variant), \(label), node \(node): \(point) vs \(single)")
            }
        }
    }

    @Test func localHypergradient_onOneNode_isMADSBOWithoutMovingAverage() throws {
        // On one node G0's local solve is the gossiped solve of MA-DSBO (same roundings), and τ = 1
        // turns the moving average off.
        let graph = try PeerGraph.edges(1, [])
        let g0 = try Self.points(DBOLocalHypergradient(settings: Self.settings), on: graph, iterations: 20)[0]
        let ma = try Self.points(MADSBO(settings: Self.settings, movingAverage: 1), on: graph, iterations: 20)[0]
        #expect(Self.bits(g0) == Self.bits(ma))
    }

    /// The centralised iteration on one quadratic (A, B, c, λ) in Double, written from the spec's
    /// boxes (§4.2, §4.3) independently of the algorithms: T steps y ← y − β(Ay − Bx); then either
    /// the vector solve z ← z − γ(Az − (y − c)), u = λx + Bᵀz (∇²_xy g = −Bᵀ), or the matrix solve
    /// Z ← Z − γ(ZA + Bᵀ), u = λx − Z(y − c); r ← (1 − τ)r + τu; x ← x − αr. On one node every
    /// tracker equals its direction, so tracked and untracked variants share this reference.
    static func reference(matrix: Bool, tau: Double, iterations: Int) -> [Double] {
        let (p, q, lambda) = (Self.p, Self.q, model.upperRegularization)
        let averages = QuadraticBilevel.averages(of: Dataset(features: Array(data.features[0..<data.dimension]), labels: [0],
                                                             dimension: data.dimension, classCount: 2), upper: p, lower: q)
        let (a, b, c) = (averages.a, averages.b, averages.c)
        let (beta, gamma, alpha) = (Double(settings.lrInner), Double(settings.lrLinear), Double(settings.lrOuter))
        var x = start[0..<p].map(Double.init), y = start[p...].map(Double.init)
        var z = [Double](repeating: 0, count: q), bigZ = [Double](repeating: 0, count: p * q), r: [Double]? = nil
        for _ in 0..<iterations {
            for _ in 0..<settings.innerSteps {
                let g = (0..<q).map { i in (0..<q).reduce(0) { $0 + a[i * q + $1] * y[$1] } - (0..<p).reduce(0) { $0 + b[i * p + $1] * x[$1] } }
                y = (0..<q).map { y[$0] - beta * g[$0] }
            }
            var u = x.map { lambda * $0 }
            if matrix {
                for _ in 0..<settings.linearSteps {
                    bigZ = (0..<(p * q)).map { k in
                        let (row, col) = (k / q, k % q)
                        let za = (0..<q).reduce(0) { $0 + bigZ[row * q + $1] * a[$1 * q + col] }
                        return bigZ[k] - gamma * (za + b[col * p + row])
                    }
                }
                for j in 0..<p { for i in 0..<q { u[j] -= bigZ[j * q + i] * (y[i] - c[i]) } }
            } else {
                for _ in 0..<settings.linearSteps {
                    let residual = (0..<q).map { i in (0..<q).reduce(0) { $0 + a[i * q + $1] * z[$1] } - (y[i] - c[i]) }
                    z = (0..<q).map { z[$0] - gamma * residual[$0] }
                }
                for j in 0..<p { for i in 0..<q { u[j] += b[i * p + j] * z[i] } }
            }
            let average = r.map { previous in (0..<p).map { (1 - tau) * previous[$0] + tau * u[$0] } } ?? u
            r = average
            x = (0..<p).map { x[$0] - alpha * average[$0] }
        }
        return x + y
    }

    @Test(arguments: PeerVariant.allCases)
    func singleNode_followsTheCentralisedIterationInDouble(variant: PeerVariant) throws {
        let tau = variant == .localHypergradient ? 1 : 0.2  // G0 has no moving average
        let matrix = variant == .jhip || variant == .jhipGT
        let point = try Self.points(variant.algorithm(Self.settings, tau: Float(tau)), on: try PeerGraph.edges(1, []), iterations: 30)[0]
        let expected = Self.reference(matrix: matrix, tau: matrix ? 1 : tau, iterations: 30)
        for k in expected.indices {
            #expect(abs(Double(point[k]) - expected[k]) <= 1e-5 * max(1, abs(expected[k])),
                    "\(variant) coordinate \(k): \(point[k]) vs \(expected[k])")
        }
    }
}
