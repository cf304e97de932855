import FedCore
import FedModels

/// G0, the local-hypergradient gossip baseline of decentralized bilevel optimization (optimization
/// spec §4.4, tagged [ours]: a simulator baseline, not a paper's algorithm).
///
/// Each node runs DSGD on both levels but estimates its hypergradient from its own lower loss g_i
/// alone, with no communication, as stocBiO would on a single machine. Per node i, outer iteration k:
///
///     lower (T gossip steps on y):   y_i ← Mix(y)_i − β ∇_y g_i(x_i, y_i)
///     local linear solve (N steps, no messages, z_i warm-started):
///                                    z_i ← z_i − γ (∇²_yy g_i(x_i, y_i) z_i − ∇_y f_i(x_i, y_i))
///     upper (1 gossip step on x):    u_i = ∇_x f_i − ∇²_xy g_i(x_i, y_i) z_i
///                                    x_i ← Mix(x)_i − α u_i
///
/// z_i tends to H_i⁻¹∇_y f_i with the node's own Hessian H_i instead of the network's H̄, so on
/// heterogeneous data x̄ settles away from the stationary point of Φ however small the steps
/// (spec §4.7 claims 1, 2): the bias the tracked methods remove.
///
/// spec: reconstructed — the local solve is N gradient steps on ½zᵀH_i z − zᵀ∇_y f_i (equivalent to
/// a Neumann series warm-started at the previous z), chosen so that on one node G0 is the same
/// iteration as MA-DSBO with τ = 1.
///
/// Keys: `inner_steps` (T, 5), `linear_steps` (N, 5), `lr_inner` (β, 0.05), `lr_linear` (γ, 0.05),
/// `lr_outer` (α, 0.02), `batch_size` (0 = every row), `gradient_tracking` (only `none`); `restart_trackers`
/// is accepted and has no effect.
///
/// State: x [p], y [q], z [q], u [p] (latest hypergradient estimate), and the loops' directions.
public struct DBOLocalHypergradient: PeerAlgorithm {
    /// T, N (local solve steps), β, γ, α and the oracle batch.
    public let settings: PeerBilevelSettings

    /// G0 with the given settings (for tests and programmatic runs).
    public init(settings: PeerBilevelSettings = PeerBilevelSettings()) { self.settings = settings }

    /// Reads the section's keys; rejects models that are not bilevel problems.
    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        _ = try BilevelSupport.requireProblem(model, section: section)
        // Accepted so one topology file can switch algorithms; G0 has nothing to track.
        _ = try section.string("gradient_tracking", oneOf: ["none"], default: "none")
        self.init(settings: try PeerBilevelSettings(section: section))
    }

    public var name: String { "dbo_local_hypergrad" }
    public var settingsSummary: [(key: String, value: String)] { settings.summary + [("gradient_tracking", "none")] }
    public var metricNames: [String] { PeerBilevel.metricNames }
    /// T lower steps and one upper step: the linear solve sends nothing.
    public var steps: [PeerStep] { settings.steps(gossipsLinearSolve: false) }

    /// Floats one node of degree `degree` sends per outer iteration: deg·(T q + p) (spec §4.7 claim 3).
    public func floatsPerIteration(degree: Int, p: Int, q: Int) -> Int {
        degree * (settings.innerSteps * q + p)
    }

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
            return try GossipLoop(key: "y", shape: [q], tracked: false).prepare(direction: g.y, restart: false, state: &state)
        case PeerBilevel.upper:
            let fy = PeerBilevel.gradient(.upper, at: point, batch: settings.batch, context: &context)
            var z = try PeerBilevel.vector(state, "z", count: q)
            for _ in 0..<settings.linearSteps {
                let hvp = PeerBilevel.secondOrder(at: point, direction: z, batch: settings.batch, context: &context).hvp
                // Same two roundings as MA-DSBO's gossiped solve (residual, then step), so a
                // single node runs the identical iteration.
                z = PeerBilevel.step(z, rate: settings.lrLinear, along: PeerBilevel.difference(hvp, fy.y))
            }
            state["z"] = z
            let jvp = PeerBilevel.secondOrder(at: point, direction: z, batch: settings.batch, context: &context).jvp
            let u = PeerBilevel.difference(fy.x, jvp)
            state["u"] = u
            return try GossipLoop(key: "x", shape: [p], tracked: false).prepare(direction: u, restart: false, state: &state)
        default:
            throw AlgorithmError("\(name) has no phase '\(step.phase)'")
        }
    }

    public func advance(step: PeerStep, state: inout PeerState, mixed: [NamedTensor], context: inout PeerContext) throws(AlgorithmError) {
        let problem = context.problem
        switch step.phase {
        case PeerBilevel.lower:
            try GossipLoop(key: "y", shape: [problem.lowerCount], tracked: false).advance(rate: settings.lrInner, mixed: mixed, state: &state)
        case PeerBilevel.upper:
            try GossipLoop(key: "x", shape: [problem.upperCount], tracked: false).advance(rate: settings.lrOuter, mixed: mixed, state: &state)
        default:
            throw AlgorithmError("\(name) has no phase '\(step.phase)'")
        }
    }

    public func point(of state: PeerState) -> [Float] { (state["x"] ?? []) + (state["y"] ?? []) }
    public func peerMetrics(state: PeerState) -> [String: Double] { PeerBilevel.metrics(state) }
}
