import FedCore
import FedModels

/// The knobs every decentralized bilevel algorithm shares (optimization spec §6, last row).
///
/// Defaults are the simulator's own (spec §4.3 "Simulator defaults", tagged [ours]); the papers'
/// values were not recovered. GT needs β·L_g ≲ 0.3, hence the small β and γ.
public struct PeerBilevelSettings: Sendable, Equatable {
    /// T (`inner_steps`, default 5): gossip steps on y per outer iteration.
    public var innerSteps: Int
    /// N (`linear_steps`, default 5): steps of the linear solve per outer iteration.
    public var linearSteps: Int
    /// β (`lr_inner`, default 0.05): lower-level step size.
    public var lrInner: Float
    /// γ (`lr_linear`, default 0.05): linear-solve step size; needs γ·L_g < 1.
    public var lrLinear: Float
    /// α (`lr_outer`, default 0.02): upper-level step size.
    public var lrOuter: Float
    /// Rows per oracle call (`batch_size`, default 0 = nil): nil calls every oracle on all the
    /// node's rows of that level (deterministic, "DBO"); b > 0 draws b rows per call ("DSBO").
    public var batch: Int?
    /// `restart_trackers` (default false): restart the y and linear-solve trackers at the first step
    /// of every outer iteration instead of carrying them over (see `GossipLoop`); biased on
    /// heterogeneous data, kept to compare the two readings of spec §4.1.
    public var restartTrackers: Bool

    /// Settings with the documented defaults unless given.
    public init(innerSteps: Int = 5, linearSteps: Int = 5, lrInner: Float = 0.05, lrLinear: Float = 0.05,
                lrOuter: Float = 0.02, batch: Int? = nil, restartTrackers: Bool = false) {
        (self.innerSteps, self.linearSteps) = (innerSteps, linearSteps)
        (self.lrInner, self.lrLinear, self.lrOuter, self.batch) = (lrInner, lrLinear, lrOuter, batch)
        self.restartTrackers = restartTrackers
    }

    /// Reads the shared keys of an `algorithm:` section.
    ///
    /// - Throws: `ConfigError` naming the key of a value out of range.
    public init(section: ConfigSection) throws(ConfigError) {
        let batch = try section.int("batch_size", default: 0, range: 0...1_000_000)
        self.init(
            innerSteps: try section.int("inner_steps", default: 5, range: 0...10_000),
            linearSteps: try section.int("linear_steps", default: 5, range: 0...10_000),
            lrInner: Float(try section.double("lr_inner", default: 0.05, range: 0...1_000)),
            lrLinear: Float(try section.double("lr_linear", default: 0.05, range: 0...1_000)),
            lrOuter: Float(try section.double("lr_outer", default: 0.02, range: 0...1_000)),
            batch: batch == 0 ? nil : batch,
            restartTrackers: try section.bool("restart_trackers", default: false))
    }

    /// The shared keys as (key, value) pairs, for `settingsSummary`.
    var summary: [(key: String, value: String)] {
        [("inner_steps", "\(innerSteps)"), ("linear_steps", "\(linearSteps)"), ("lr_inner", "\(lrInner)"),
         ("lr_linear", "\(lrLinear)"), ("lr_outer", "\(lrOuter)"), ("batch_size", "\(batch ?? 0)"),
         ("restart_trackers", "\(restartTrackers)")]
    }

    /// T lower steps, N linear steps (none when the solve is local), one upper step.
    func steps(gossipsLinearSolve: Bool) -> [PeerStep] {
        (0..<innerSteps).map { PeerStep(phase: PeerBilevel.lower, index: $0) }
            + (gossipsLinearSolve ? (0..<linearSteps).map { PeerStep(phase: PeerBilevel.linear, index: $0) } : [])
            + [PeerStep(phase: PeerBilevel.upper, index: 0)]
    }

    /// Whether an inner loop's tracker starts afresh at `step`.
    func restartsTracker(at step: PeerStep) -> Bool { restartTrackers && step.index == 0 }
}

/// The state keys of a gossiped vector's gradient-tracking bookkeeping (see `GossipLoop`).
public enum PeerStateKeys {
    /// The tracker s sent in the latest step.
    public static func tracker(of key: String) -> String { key + ".s" }
    /// Mix(s) received in the latest step.
    public static func mixedTracker(of key: String) -> String { key + ".s_mixed" }
    /// The local direction q(v) the tracker absorbed last.
    public static func trackedDirection(of key: String) -> String { key + ".q_prev" }
    /// The direction an untracked step moves along.
    public static func direction(of key: String) -> String { key + ".d" }
}

/// Helpers shared by the decentralized bilevel algorithms: phase names, state access, oracle calls
/// on the node's own rows, and the small vector arithmetic whose rounding every algorithm shares.
enum PeerBilevel {
    static let lower = "lower", linear = "linear", upper = "upper"

    /// The stored vector `key`, which must hold `count` values.
    static func vector(_ state: PeerState, _ key: String, count: Int) throws(AlgorithmError) -> [Float] {
        guard let values = state[key] else { throw AlgorithmError("peer state has no '\(key)'") }
        guard values.count == count else { throw AlgorithmError("'\(key)' has \(values.count) values, expected \(count)") }
        return values
    }

    /// The peer's (x, y) as one flat parameter buffer.
    static func point(_ state: PeerState, _ problem: any BilevelProblem) throws(AlgorithmError) -> [Float] {
        try vector(state, "x", count: problem.upperCount) + vector(state, "y", count: problem.lowerCount)
    }

    /// The starting state shared by all three algorithms: (x, y) as given, `extra` vectors zero.
    static func initialState(parameters: [Float], problem: any BilevelProblem,
                             zeros extra: [(String, Int)]) throws(AlgorithmError) -> PeerState {
        let p = problem.upperCount, q = problem.lowerCount
        guard parameters.count == p + q else { throw AlgorithmError("parameters hold \(parameters.count) values, (x, y) needs \(p + q)") }
        var state: PeerState = ["x": Array(parameters[0..<p]), "y": Array(parameters[p...])]
        for (key, count) in extra { state[key] = [Float](repeating: 0, count: count) }
        return state
    }

    // MARK: - Oracles on the node's own rows

    /// (∇_x, ∇_y) of `level`'s loss at `point`, on all the node's rows of that level or a minibatch.
    static func gradient(_ level: BilevelLevel, at point: [Float], batch: Int?,
                         context: inout PeerContext) -> (x: [Float], y: [Float]) {
        let problem = context.problem
        let rows = problem.sampleRows(level, in: context.data, batch: batch, rng: &context.rng)
        let g = problem.gradient(level, parameters: point, rows: rows, data: context.data.base, rng: &context.rng).gradient
        return (Array(g[0..<problem.upperCount]), Array(g[problem.upperCount...]))
    }

    /// ∇²_yy g_i·v and ∇²_xy g_i·v at `point`, on the node's lower rows or a minibatch of them.
    static func secondOrder(at point: [Float], direction: [Float], batch: Int?,
                            context: inout PeerContext) -> (hvp: [Float], jvp: [Float]) {
        let problem = context.problem
        let rows = problem.sampleRows(.lower, in: context.data, batch: batch, rng: &context.rng)
        return problem.lowerSecondOrder(parameters: point, rows: rows, data: context.data.base, direction: direction, rng: &context.rng)
    }

    /// The full H_i = ∇²_yy g_i ([q, q]) and J_i = ∇²_xy g_i ([p, q]), row-major, built column by
    /// column from products with the unit vectors e_b on one draw of rows (so H_i and J_i describe
    /// the same sample): H_i[:, b] = HVP(e_b), J_i[:, b] = JVP(e_b).
    static func lowerMatrices(at point: [Float], batch: Int?, context: inout PeerContext) -> (h: [Double], j: [Double]) {
        let problem = context.problem
        let p = problem.upperCount, q = problem.lowerCount
        let rows = problem.sampleRows(.lower, in: context.data, batch: batch, rng: &context.rng)
        var h = [Double](repeating: 0, count: q * q), j = [Double](repeating: 0, count: p * q)
        var unit = [Float](repeating: 0, count: q)
        for b in 0..<q {
            unit[b] = 1
            let products = problem.lowerSecondOrder(parameters: point, rows: rows, data: context.data.base,
                                                    direction: unit, rng: &context.rng)
            unit[b] = 0
            for c in 0..<q { h[c * q + b] = Double(products.hvp[c]) }
            for a in 0..<p { j[a * q + b] = Double(products.jvp[a]) }
        }
        return (h, j)
    }

    // MARK: - Arithmetic (one rounding to Float per result)

    /// a − b.
    static func difference(_ a: [Float], _ b: [Float]) -> [Float] {
        (0..<a.count).map { Float(Double(a[$0]) - Double(b[$0])) }
    }

    /// v − rate·d, the step every loop takes after its mix.
    static func step(_ v: [Float], rate: Float, along d: [Float]) -> [Float] {
        let a = Double(rate)
        return (0..<v.count).map { Float(Double(v[$0]) - a * Double(d[$0])) }
    }

    /// Euclidean norm in Double.
    static func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

    /// The optional metric every algorithm reports: ‖u_i‖, the node's latest local hypergradient estimate.
    static let metricNames = ["hypergrad_estimate_norm"]
    static func metrics(_ state: PeerState) -> [String: Double] {
        ["hypergrad_estimate_norm": state["u"].map(norm) ?? .nan]
    }
}
