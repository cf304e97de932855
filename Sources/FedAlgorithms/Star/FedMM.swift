import FedCore
import FedModels
#if canImport(Glibc)
import Glibc
#endif

/// FedMM (Shen et al., "FedMM: A Communication Efficient Solver for Federated Adversarial Domain
/// Adaptation", AAMAS 2023; arXiv 2110.08477).
///
/// Each client keeps a dual λ_i (shape of the model, zero at first, never sent as algorithm traffic)
/// and solves the augmented-Lagrangian subproblem around the global model w̄:
///
///     K local steps:   w ← w − η (g(w) + μ (w − w̄) + λ_i)
///     dual ascent:     λ_i ← λ_i + μ (w − w̄)
///     upload:          w + c_t λ_i,   c_t = 1 / (μ · γ^(t/s)),  t = round − 1
///
/// and the server averages the uploads. For an ordinary model g = ∇f_i. For a two-player model
/// (DANN, the quadratic saddle) g is the model's descent-form gradient, (∇_ω f_i, −∇_ψ f_i): then the
/// ψ part of the same three lines is the paper's ascent step ψ ← ψ + η(∇_ψ f_i − μ(ψ − ψ̄) − β_i) with
/// β_i = −(ψ part of λ_i), its dual ascent and upload, exactly as the reference code writes the
/// discriminator's step as descent on the domain cross-entropy. At a fixed point λ_i = −g_i(w̄) and
/// the duals sum to zero, so w̄ is stationary for the global problem even under heterogeneous data.
///
/// Choices where the paper is unclear: with μ = 0 the dual term is off and c_t is taken as 0 (the
/// formula divides by μ), which makes FedMM exactly FedAvg, the identity the reference states.
/// Whether t starts at 0 or 1 is not visible in the reference; 0 for the first round here. The
/// reference weights its two clients equally; `client_weighting: uniform` does the same.
///
/// Keys: `mu` (μ, 2.0), `dual_growth` (γ, 1.05), `dual_growth_period` (s, 100), plus the local SGD
/// keys of FedAvg (`local_steps`, `local_epochs`, `batch_size`, `lr`, `momentum`, `weight_decay`,
/// `client_weighting`).
public struct FedMM: FedAvgServerVariant {
    public let base: FedAvg
    public let mu: Float
    public let dualGrowth: Double
    public let dualGrowthPeriod: Double

    /// The state key of the client's dual λ_i.
    public static let dualKey = "lambda"

    public init(local: LocalTrainer.Settings, mu: Float, dualGrowth: Double, dualGrowthPeriod: Double, layout: ParameterLayout) {
        base = FedAvg(local: local, layout: layout)
        self.mu = mu
        self.dualGrowth = dualGrowth
        self.dualGrowthPeriod = dualGrowthPeriod
    }

    /// Reads the settings from the topology's `algorithm:` section.
    public init(section: ConfigSection, layout: ParameterLayout) throws(ConfigError) {
        let mu = try section.double("mu", default: 2, range: 0...1_000)
        let growth = try section.double("dual_growth", default: 1.05, range: 1...10)
        let period = try section.double("dual_growth_period", default: 100, range: 1e-6...1e9)
        (self.mu, dualGrowth, dualGrowthPeriod) = (Float(mu), growth, period)
        base = try FedAvg(section: section, layout: layout)
    }

    public var name: String { "fedmm" }
    public var settingsSummary: [(key: String, value: String)] {
        [("mu", "\(mu)"), ("dual_growth", "\(dualGrowth)"), ("dual_growth_period", "\(dualGrowthPeriod)")] + base.settingsSummary
    }

    /// c_t, the share of the dual added to the upload in `round` (0 when μ = 0).
    public func dualScale(round: Int) -> Double {
        mu > 0 ? 1 / (Double(mu) * pow(dualGrowth, Double(round - 1) / dualGrowthPeriod)) : 0
    }

    /// Local steps per round: `local_steps`, or epochs × batches of a shard of the mean size.
    public func localSteps(meanShardSize: Double) -> Double {
        if let steps = base.local.maxSteps { return Double(steps) }
        return Double(base.local.epochs) * (meanShardSize / Double(base.local.batchSize)).rounded(.up)
    }

    /// The spec's stability caveat (optimization.md §1.9 claim 2): FedMM diverged in a prototype when
    /// the local subproblem was solved too loosely, μ·K·η ≤ 0.04, and converged from 0.05 on.
    public func startupWarnings(meanShardSize: Double) -> [String] {
        let product = Double(mu) * localSteps(meanShardSize: meanShardSize) * Double(base.local.optimizer.learningRate)
        guard mu > 0, product < 0.1 else { return [] }
        let shown = (product * 1000).rounded() / 1000
        return ["fedmm: mu·K·lr = \(shown) < 0.1: the local subproblem may be solved too loosely and FedMM may diverge; "
                + "raise mu, local_steps or lr"]
    }

    // The server side is FedAvg's (FedAvgServerVariant). Clients compute c_t from the round they are
    // told, so a task carries exactly FedAvg's bytes.

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        guard mu > 0 else { return try base.train(task: task, context: &context) }
        let layout = context.model.layout
        let anchor: [Float]
        do { anchor = try layout.flatten(task.tensors) } catch { throw AlgorithmError("task: \(error.reason)") }
        var lambda = context.state[Self.dualKey] ?? [Float](repeating: 0, count: anchor.count)
        guard lambda.count == anchor.count else { throw AlgorithmError("dual has \(lambda.count) values, model \(anchor.count)") }
        var parameters = anchor
        let outcome = LocalTrainer.train(
            model: context.model, parameters: &parameters, data: context.data, settings: base.local,
            proximal: LocalTrainer.Proximal(anchor: anchor, mu: mu, linear: lambda), rng: &context.rng,
            workspace: context.workspace)
        let scale = Float(dualScale(round: context.round))
        var upload = parameters
        for i in lambda.indices {
            lambda[i] += mu * (parameters[i] - anchor[i])  // dual ascent
            upload[i] += scale * lambda[i]
        }
        context.state[Self.dualKey] = lambda
        // The same metric keys as FedAvg, so updates carry exactly FedAvg's bytes (the dual never travels).
        return ClientUpdate(
            clientID: task.clientID, numSamples: context.data.count, tensors: layout.split(upload),
            metrics: ["train_loss": outcome.meanLoss, "steps": Double(outcome.steps)])
    }
}
