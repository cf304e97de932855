import FedCore
import FedModels

/// FedMBO (Huang, Zhang, Ji, "Achieving Linear Speedup in Non-IID Federated Bilevel Learning",
/// ICML 2023; arXiv 2302.05412).
///
/// No official code exists and the algorithm box could not be read: this is the reconstruction of
/// spec §3.3, the federated analogue of stocBiO. One outer iteration k is T + Q + 2 rounds, each
/// to a fresh uniform sample of n clients whose replies the server averages:
///
///     lower (T rounds)      down (x, y)        up ∇_y g_i(x, y; ζ)        y ← y − β · mean
///     upper_grad (1 round)  down (x, y)        up ∇_y f_i(x, y; ξ)        r ← mean, s ← r
///     neumann (Q rounds)    down (x, y, r)     up ∇²_yy g_i · r           r ← r − η · mean, s ← s + r
///     hypergrad (1 round)   down (x, y, v=ηs)  up ∇_x f_i − ∇²_xy g_i · v  x ← x − α · mean
///
/// Sampling fresh clients for every Neumann factor (the "multi-round sampling") makes each factor an
/// independent average over n clients, so the estimate's variance falls like 1/n: the linear
/// speedup. Variant `hypergrad: chains` [reconstructed] runs one Neumann chain per client slot
/// instead: in every Neumann round the c-th sampled client extends chain c with its own HVP, and
/// v is the mean of the chains' sums. A chain whose client did not answer keeps its vector that
/// round and gains no term. Clients keep no state: any client can serve any phase.
///
/// Keys: `inner_rounds` (T, 5), `neumann_rounds` (Q, 5), `lr_inner` (β, 0.05), `lr_neumann`
/// (η, 0.05; needs η·L_g < 1), `lr_outer` (α, 0.02), `hypergrad` (`per_round` | `chains`),
/// `batch_size` (64; 0 uses every row of the client's level).
public struct FedMBO: BilevelAlgorithm {
    public enum Estimator: String, Sendable { case perRound = "per_round", chains }

    /// The phases of an outer iteration, as tagged on envelopes.
    public enum Phase: Int, Sendable, CaseIterable {
        case lower = 0, upperGradient, neumann, hypergradient
        public var tag: String { ["lower", "upper_grad", "neumann", "hypergrad"][rawValue] }
    }

    public let innerRounds: Int
    public let neumannRounds: Int
    public let lrInner: Float
    public let lrNeumann: Float
    public let lrOuter: Float
    public let estimator: Estimator
    /// Rows per oracle call (nil: all of the client's rows of that level).
    public let batch: Int?
    public let p: Int
    public let q: Int

    public init(innerRounds: Int, neumannRounds: Int, lrInner: Float, lrNeumann: Float, lrOuter: Float,
                estimator: Estimator = .perRound, batch: Int?, upper p: Int, lower q: Int) {
        (self.innerRounds, self.neumannRounds, self.lrInner, self.lrNeumann, self.lrOuter) = (innerRounds, neumannRounds, lrInner, lrNeumann, lrOuter)
        (self.estimator, self.batch, self.p, self.q) = (estimator, batch, p, q)
    }

    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        let problem = try BilevelSupport.requireProblem(model, section: section)
        let batch = try section.int("batch_size", default: 64, range: 0...1_000_000)
        self.init(
            innerRounds: try section.int("inner_rounds", default: 5, range: 0...10_000),
            neumannRounds: try section.int("neumann_rounds", default: 5, range: 0...10_000),
            lrInner: Float(try section.double("lr_inner", default: 0.05, range: 0...1_000)),
            lrNeumann: Float(try section.double("lr_neumann", default: 0.05, range: 0...1_000)),
            lrOuter: Float(try section.double("lr_outer", default: 0.02, range: 0...1_000)),
            estimator: Estimator(rawValue: try section.string("hypergrad", oneOf: ["per_round", "chains"], default: "per_round"))!,
            batch: batch == 0 ? nil : batch, upper: problem.upperCount, lower: problem.lowerCount)
    }

    public var name: String { "fedmbo" }
    public var roundsPerOuterIteration: Int { innerRounds + neumannRounds + 2 }
    public var batchCapacity: Int { batch ?? 1 }
    public var settingsSummary: [(key: String, value: String)] {
        [("inner_rounds", "\(innerRounds)"), ("neumann_rounds", "\(neumannRounds)"), ("lr_inner", "\(lrInner)"),
         ("lr_neumann", "\(lrNeumann)"), ("lr_outer", "\(lrOuter)"), ("hypergrad", estimator.rawValue),
         ("batch_size", "\(batch ?? 0)")]
    }
    public var metricNames: [String] { ["outer_iteration", "hypergrad_estimate_norm", "lower_grad_norm"] }

    /// The phase of a 1-based round.
    public func phase(of round: Int) -> Phase {
        let step = position(of: round).step
        if step < innerRounds { return .lower }
        if step == innerRounds { return .upperGradient }
        return step <= innerRounds + neumannRounds ? .neumann : .hypergradient
    }

    public func initialState(parameters: [Float]) -> ServerState { ServerState(parameters: parameters) }

    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout {
        switch Phase.allCases.first(where: { $0.tag == phase }) ?? .lower {
        case .lower: ParameterLayout([("grad_y", [q])])
        case .upperGradient: ParameterLayout([("grad_y_f", [q])])
        case .neumann: ParameterLayout([("hvp", [q])])
        case .hypergradient: ParameterLayout([("hypergrad", [p])])
        }
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        let phase = phase(of: round)
        let point = BilevelSupport.pointTensors(state.parameters, p: p)
        let r = state.extras["r"] ?? [], chains = r.count / max(q, 1)
        let tasks = clients.enumerated().map { slot, client in
            var tensors = point
            switch phase {
            case .neumann:
                let chain = estimator == .chains && chains > 0 ? slot % chains : 0
                tensors.append(BilevelSupport.tensor("r", Array(r[(chain * q)..<((chain + 1) * q)])))
            case .hypergradient:
                tensors.append(BilevelSupport.tensor("v", neumannSolution(state)))
            case .lower, .upperGradient: break
            }
            return ClientTask(clientID: client, tensors: tensors, config: ["phase": Double(phase.rawValue)])
        }
        return RoundPlan(phase: phase.tag, tasks: tasks)
    }

    /// v = η · s, averaged over the chains (one chain in the per-round estimator).
    func neumannSolution(_ state: ServerState) -> [Float] {
        let s = state.extras["s"] ?? [Float](repeating: 0, count: q)
        let chains = max(s.count / q, 1)
        return (0..<q).map { i in
            var sum = 0.0
            for c in 0..<chains { sum += Double(s[c * q + i]) }
            return Float(Double(lrNeumann) * sum / Double(chains))
        }
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        var next = state
        var metrics: [String: Double] = ["outer_iteration": Double(position(of: round).outer + 1),
                                         "hypergrad_estimate_norm": .nan, "lower_grad_norm": .nan]
        switch phase(of: round) {
        case .lower:
            if let g = BilevelSupport.mean("grad_y", of: updates) {
                for i in 0..<q { next.parameters[p + i] -= lrInner * g[i] }
                metrics["lower_grad_norm"] = BilevelSupport.norm(g)
            }
        case .upperGradient:
            let r: [Float]
            if estimator == .chains {
                r = updates.flatMap { $0.tensors[0].values }  // chain c starts from its own client's ∇_y f
            } else {
                r = BilevelSupport.mean("grad_y_f", of: updates) ?? [Float](repeating: 0, count: q)
            }
            next.extras["r"] = r
            next.extras["s"] = r
        case .neumann:
            var r = state.extras["r"] ?? [], s = state.extras["s"] ?? []
            let chains = r.count / q
            guard chains > 0 else { break }
            // Each update belongs to the chain of its client's slot in the round's sorted sample.
            let sampled = (updates.map(\.clientID) + failures).sorted()
            for chain in 0..<(estimator == .chains ? chains : 1) {
                let mine = estimator == .chains
                    ? updates.filter { (sampled.firstIndex(of: $0.clientID) ?? 0) % chains == chain } : updates
                guard let hvp = BilevelSupport.mean("hvp", of: mine) else { continue }
                for i in 0..<q {
                    r[chain * q + i] -= lrNeumann * hvp[i]
                    s[chain * q + i] += r[chain * q + i]
                }
            }
            next.extras["r"] = r
            next.extras["s"] = s
        case .hypergradient:
            if let h = BilevelSupport.mean("hypergrad", of: updates) {
                for j in 0..<p { next.parameters[j] -= lrOuter * h[j] }
                metrics["hypergrad_estimate_norm"] = BilevelSupport.norm(h)
            }
            next.extras = [:]
        }
        return RoundResult(state: next, metrics: metrics)
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        let problem = try BilevelSupport.problem(context)
        let parameters = try BilevelSupport.parameters(in: task, problem: problem)
        guard let raw = task.config["phase"], let phase = Phase(rawValue: Int(raw)) else { throw AlgorithmError("task has no valid phase") }
        let data = context.data.base
        switch phase {
        case .lower:
            let rows = problem.sampleRows(.lower, in: context.data, batch: batch, rng: &context.rng)
            let (loss, g) = problem.gradient(.lower, parameters: parameters, rows: rows, data: data, rng: &context.rng)
            return BilevelSupport.reply(task, context, "grad_y", Array(g[p...]), metrics: ["lower_loss": loss])
        case .upperGradient:
            let rows = problem.sampleRows(.upper, in: context.data, batch: batch, rng: &context.rng)
            let (loss, g) = problem.gradient(.upper, parameters: parameters, rows: rows, data: data, rng: &context.rng)
            return BilevelSupport.reply(task, context, "grad_y_f", Array(g[p...]), metrics: ["upper_loss": loss])
        case .neumann:
            let r = try BilevelSupport.vector("r", in: task.tensors, count: q)
            let rows = problem.sampleRows(.lower, in: context.data, batch: batch, rng: &context.rng)
            let products = problem.lowerSecondOrder(parameters: parameters, rows: rows, data: data, direction: r, rng: &context.rng)
            return BilevelSupport.reply(task, context, "hvp", products.hvp)
        case .hypergradient:
            let v = try BilevelSupport.vector("v", in: task.tensors, count: q)
            let upperRows = problem.sampleRows(.upper, in: context.data, batch: batch, rng: &context.rng)
            let upper = problem.gradient(.upper, parameters: parameters, rows: upperRows, data: data, rng: &context.rng).gradient
            let lowerRows = problem.sampleRows(.lower, in: context.data, batch: batch, rng: &context.rng)
            let jvp = problem.lowerSecondOrder(parameters: parameters, rows: lowerRows, data: data, direction: v, rng: &context.rng).jvp
            return BilevelSupport.reply(task, context, "hypergrad", (0..<p).map { upper[$0] - jvp[$0] })
        }
    }
}
