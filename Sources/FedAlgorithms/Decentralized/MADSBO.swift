import FedCore
import FedModels

/// MA-DSBO and MA-DSBO-GT (Chen, Huang, Ma, Balasubramanian, "Decentralized Stochastic Bilevel
/// Optimization with Improved per-Iteration Complexity", ICML 2023; arXiv 2210.12839): algorithm (a)
/// of optimization spec §4.3.
///
/// spec: reconstructed — the algorithm box could not be read; this is the standard construction
/// with every property the abstract states: only gradients, Hessian–vector and Jacobian–vector
/// products, vectors on the wire. Per node i, outer iteration k:
///
///     lower (T gossip steps):   y_i ← Mix(y)_i − β ∇_y g_i(x_i, y_i)
///     linear (N gossip steps):  z_i ← Mix(z)_i − γ (∇²_yy g_i(x_i, y_i) z_i − ∇_y f_i(x_i, y_i))
///     upper (1 gossip step):    u_i = ∇_x f_i(x_i, y_i) − ∇²_xy g_i(x_i, y_i) z_i
///                               r_i ← (1 − τ) r_i + τ u_i        (r_i = u_i at k = 0)
///                               x_i ← Mix(x)_i − α r_i
///
/// y_i and z_i are warm-started across iterations; z_i starts at 0. With `gradient_tracking: all`
/// (MA-DSBO-GT) each of the three loops tracks its direction (∇_y g_i, the residual
/// H_i z_i − ∇_y f_i, and r_i) as in `GossipLoop`: v and its tracker travel in one message. The
/// trackers persist across outer iterations, so the change of x enters them as q(x^new) − q(x^old)
/// (`restart_trackers` restarts the y and z trackers every iteration instead, which is biased; see
/// `GossipLoop`). spec: reconstructed — the exact form of the moving average and where GT applies
/// are the spec's most likely choice (§5).
///
/// Each oracle call draws its own rows (minibatch mode), so ∇_y f_i in the linear steps and ∇_x f_i
/// in the upper step are independent samples ξ.
///
/// Keys: `inner_steps` (T, 5), `linear_steps` (N, 5), `lr_inner` (β, 0.05), `lr_linear` (γ, 0.05),
/// `lr_outer` (α, 0.02), `moving_average` (τ ∈ (0, 1], 0.2; 1 disables the average),
/// `gradient_tracking` (`none` | `all`), `batch_size` (0 = every row), `restart_trackers` (false).
///
/// State: x [p], y [q], z [q], u [p], r [p] (absent before the first upper step), plus each loop's
/// direction or tracker (`PeerStateKeys`).
public struct MADSBO: PeerAlgorithm {
    /// Which loops gossip a tracker (`gradient_tracking`).
    public enum Tracking: String, Sendable, CaseIterable {
        /// MA-DSBO: plain gossip on every loop.
        case none
        /// MA-DSBO-GT: trackers on y, z and x.
        case all
    }

    /// T, N, β, γ, α and the oracle batch.
    public let settings: PeerBilevelSettings
    /// τ, the weight of the newest hypergradient in the moving average.
    public let movingAverage: Float
    /// `none` (default) or `all`.
    public let tracking: Tracking

    /// MA-DSBO with the given settings (for tests and programmatic runs); τ must lie in (0, 1].
    public init(settings: PeerBilevelSettings = PeerBilevelSettings(), movingAverage: Float = 0.2, tracking: Tracking = .none) {
        precondition(movingAverage > 0 && movingAverage <= 1, "moving_average τ must lie in (0, 1], got \(movingAverage)")
        (self.settings, self.movingAverage, self.tracking) = (settings, movingAverage, tracking)
    }

    /// Reads the section's keys; rejects models that are not bilevel problems.
    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        _ = try BilevelSupport.requireProblem(model, section: section)
        let tau = try section.double("moving_average", default: 0.2, range: 0...1)
        guard tau > 0 else { throw section.error("moving_average", "moving_average τ must be in (0, 1]; 0 would never update r") }
        let tracking = try section.string("gradient_tracking", oneOf: Tracking.allCases.map(\.rawValue), default: "none")
        // The accessor only returns one of the listed raw values.
        self.init(settings: try PeerBilevelSettings(section: section), movingAverage: Float(tau), tracking: Tracking(rawValue: tracking)!)
    }

    public var name: String { "ma_dsbo" }
    public var settingsSummary: [(key: String, value: String)] {
        settings.summary + [("moving_average", "\(movingAverage)"), ("gradient_tracking", tracking.rawValue)]
    }
    public var metricNames: [String] { PeerBilevel.metricNames }
    public var steps: [PeerStep] { settings.steps(gossipsLinearSolve: true) }

    /// Floats one node of degree `degree` sends per outer iteration (spec §4.7 claim 3):
    /// deg·(T q + N q + p), doubled by `all` (every loop carries its tracker).
    public func floatsPerIteration(degree: Int, p: Int, q: Int) -> Int {
        let plain = settings.innerSteps * q + settings.linearSteps * q + p
        return degree * (tracking == .all ? 2 * plain : plain)
    }

    func loop(_ key: String, count: Int) -> GossipLoop { GossipLoop(key: key, shape: [count], tracked: tracking == .all) }

    public func initialState(parameters: [Float], context: inout PeerContext) throws(AlgorithmError) -> PeerState {
        try PeerBilevel.initialState(parameters: parameters, problem: context.problem, zeros: [("z", context.problem.lowerCount)])
    }

    public func prepare(step: PeerStep, state: inout PeerState, context: inout PeerContext) throws(AlgorithmError) -> [NamedTensor] {
        let problem = context.problem
        let (p, q) = (problem.upperCount, problem.lowerCount)
        let point = try PeerBilevel.point(state, problem)
        switch step.phase {
        case PeerBilevel.lower:
            let g = PeerBilevel.gradient(.lower, at: point, batch: settings.batch, context: &context)
            return try loop("y", count: q).prepare(direction: g.y, restart: settings.restartsTracker(at: step), state: &state)
        case PeerBilevel.linear:
            let z = try PeerBilevel.vector(state, "z", count: q)
            let fy = PeerBilevel.gradient(.upper, at: point, batch: settings.batch, context: &context).y
            let hvp = PeerBilevel.secondOrder(at: point, direction: z, batch: settings.batch, context: &context).hvp
            return try loop("z", count: q).prepare(direction: PeerBilevel.difference(hvp, fy), restart: settings.restartsTracker(at: step), state: &state)
        case PeerBilevel.upper:
            let z = try PeerBilevel.vector(state, "z", count: q)
            let fx = PeerBilevel.gradient(.upper, at: point, batch: settings.batch, context: &context).x
            let jvp = PeerBilevel.secondOrder(at: point, direction: z, batch: settings.batch, context: &context).jvp
            let u = PeerBilevel.difference(fx, jvp)
            var r = u
            if let previous = state["r"] {
                let (keep, take) = (1 - Double(movingAverage), Double(movingAverage))
                r = (0..<p).map { Float(keep * Double(previous[$0]) + take * Double(u[$0])) }
            }
            state["u"] = u
            state["r"] = r
            return try loop("x", count: p).prepare(direction: r, restart: false, state: &state)
        default:
            throw AlgorithmError("\(name) has no phase '\(step.phase)'")
        }
    }

    public func advance(step: PeerStep, state: inout PeerState, mixed: [NamedTensor], context: inout PeerContext) throws(AlgorithmError) {
        let problem = context.problem
        switch step.phase {
        case PeerBilevel.lower: try loop("y", count: problem.lowerCount).advance(rate: settings.lrInner, mixed: mixed, state: &state)
        case PeerBilevel.linear: try loop("z", count: problem.lowerCount).advance(rate: settings.lrLinear, mixed: mixed, state: &state)
        case PeerBilevel.upper: try loop("x", count: problem.upperCount).advance(rate: settings.lrOuter, mixed: mixed, state: &state)
        default: throw AlgorithmError("\(name) has no phase '\(step.phase)'")
        }
    }

    public func point(of state: PeerState) -> [Float] { (state["x"] ?? []) + (state["y"] ?? []) }
    public func peerMetrics(state: PeerState) -> [String: Double] { PeerBilevel.metrics(state) }
}
