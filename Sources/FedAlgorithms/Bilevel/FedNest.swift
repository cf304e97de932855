import FedCore
import FedModels

/// FedNest and LFedNest (Tarzanagh, Li, Thrampoulidis, Oymak, "FedNest: Federated Bilevel, Minimax,
/// and Compositional Optimization", ICML 2022), as the authors' code runs them (spec §3.6).
///
/// FedNest, one outer iteration:
///
///     FedInn, T times   svrg: inner_full (q_i = ∇_y g_i(x, y)) then inner_local (τ_in epochs of
///                       y_i ← y_i − β(∇g_i(y_i; ζ) − ∇g_i(y; ζ) + q̄)), 2 rounds on one sample;
///                       sgd: inner_local only (τ_in epochs of plain local SGD), 1 round
///     FedOut, N + 3 rounds on one sample:
///       ihgp_start      b_i = ∇_y f_i(x, y)                      p ← mean b_i
///       ihgp × N        c_i ← c_i − η H_i c_i (c_i = p at first),  p ← mean (p + c_i)
///       hypergrad       h_i = ∇_x f_i(x, y) − η ∇²_xy g_i p      h̄ ← mean h_i
///       outer_local     τ_out steps x_i ← x_i − α(∇_x f_i(x_i, y) − ∇_x f_i(x, y) + h̄);  x ← mean x_i
///
/// LFedNest keeps everything local: T inner_local rounds of local SGD on y, then one local_outer
/// round in which each client runs its own Neumann series with its own H_i, its own hypergradient
/// and τ_out local steps on x; the server averages y and x (T + 1 rounds). With `inner_optimizer:
/// svrg` its inner rounds are FedNest's SVRG pairs (LFedNest-SVRG, 2T + 1 rounds).
///
/// As in the code: full local gradients and Hessian products over the client's rows of each level
/// (minibatches only inside local epochs); one client sample per SVRG pair and one for all of
/// FedOut (the private c_i lives in the client's state between Neumann rounds); the Neumann step
/// η defaults to the outer step α (the code's `hlr` is both). The code's running average in the
/// Neumann rounds averages all replies received so far; this takes the intended current-round mean.
public struct FedNest: BilevelAlgorithm {
    public enum Variant: String, Sendable { case fedNest = "fednest", local = "lfednest" }
    public enum InnerOptimizer: String, Sendable { case svrg, sgd }

    public enum Phase: Int, Sendable, CaseIterable {
        case innerFull = 0, innerLocal, ihgpStart, ihgp, hypergradient, outerLocal, localOuter
        public var tag: String {
            ["inner_full", "inner_local", "ihgp_start", "ihgp", "hypergrad", "outer_local", "local_outer"][rawValue]
        }
    }

    public let variant: Variant
    public let innerOptimizer: InnerOptimizer
    public let innerRounds: Int
    public let innerEpochs: Int
    public let neumannTerms: Int
    public let outerSteps: Int
    public let lrInner: Float
    public let lrOuter: Float
    public let lrNeumann: Float
    public let batchSize: Int
    public let p: Int
    public let q: Int
    /// The phase of each round of an outer iteration.
    public let schedule: [Phase]

    /// The client-state key of the private Neumann vector c_i, and of the outer iteration it belongs to.
    static let neumannKey = "fednest_c"
    static let neumannOuterKey = "fednest_c_outer"

    public init(variant: Variant, innerOptimizer: InnerOptimizer, innerRounds: Int, innerEpochs: Int, neumannTerms: Int,
                outerSteps: Int, lrInner: Float, lrOuter: Float, lrNeumann: Float, batchSize: Int, upper p: Int, lower q: Int) {
        (self.variant, self.innerOptimizer, self.innerRounds, self.innerEpochs) = (variant, innerOptimizer, innerRounds, innerEpochs)
        (self.neumannTerms, self.outerSteps, self.lrInner, self.lrOuter, self.lrNeumann) = (neumannTerms, outerSteps, lrInner, lrOuter, lrNeumann)
        (self.batchSize, self.p, self.q) = (batchSize, p, q)
        let svrg = innerOptimizer == .svrg
        let inner: [Phase] = svrg ? [.innerFull, .innerLocal] : [.innerLocal]
        var schedule = Array([[Phase]](repeating: inner, count: innerRounds).joined())
        if variant == .fedNest {
            schedule += [.ihgpStart] + [Phase](repeating: .ihgp, count: neumannTerms) + [.hypergradient, .outerLocal]
        } else {
            schedule.append(.localOuter)
        }
        self.schedule = schedule
    }

    public init(variant: Variant, section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        let problem = try BilevelSupport.requireProblem(model, section: section)
        let lrOuter = try section.double("lr_outer", default: 0.01, range: 0...1_000)
        let optimizer = try section.string("inner_optimizer", oneOf: ["svrg", "sgd"], default: variant == .fedNest ? "svrg" : "sgd")
        self.init(
            variant: variant, innerOptimizer: InnerOptimizer(rawValue: optimizer)!,
            innerRounds: try section.int("inner_rounds", default: 1, range: 1...10_000),
            innerEpochs: try section.int("inner_local_epochs", default: 5, range: 1...10_000),
            neumannTerms: try section.int("neumann_terms", default: 5, range: 0...10_000),
            outerSteps: try section.int("outer_local_steps", default: 1, range: 1...10_000),
            lrInner: Float(try section.double("lr_inner", default: 0.01, range: 0...1_000)),
            lrOuter: Float(lrOuter),
            lrNeumann: Float(try section.double("lr_neumann", default: lrOuter, range: 0...1_000)),
            batchSize: try section.int("batch_size", default: 64, range: 1...1_000_000),
            upper: problem.upperCount, lower: problem.lowerCount)
    }

    public var name: String { variant.rawValue }
    public var roundsPerOuterIteration: Int { schedule.count }
    public var batchCapacity: Int { batchSize }
    public var settingsSummary: [(key: String, value: String)] {
        [("inner_rounds", "\(innerRounds)"), ("inner_local_epochs", "\(innerEpochs)"), ("inner_optimizer", innerOptimizer.rawValue),
         ("neumann_terms", "\(neumannTerms)"), ("outer_local_steps", "\(outerSteps)"), ("lr_inner", "\(lrInner)"),
         ("lr_outer", "\(lrOuter)"), ("lr_neumann", "\(lrNeumann)"), ("batch_size", "\(batchSize)")]
    }
    public var metricNames: [String] { ["outer_iteration", "hypergrad_estimate_norm"] }

    public func phase(of round: Int) -> Phase { schedule[position(of: round).step] }

    /// An SVRG pair shares its first round's sample; all of FedOut shares the sample of ihgp_start.
    public func samplingRound(for round: Int) -> Int {
        let (outer, step) = position(of: round)
        let first = outer * roundsPerOuterIteration + 1
        switch schedule[step] {
        case .innerLocal where innerOptimizer == .svrg: return round - 1
        case .ihgp, .hypergradient, .outerLocal: return first + (schedule.firstIndex(of: .ihgpStart) ?? step)
        default: return round
        }
    }

    public func initialState(parameters: [Float]) -> ServerState { ServerState(parameters: parameters) }

    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout {
        switch Phase.allCases.first(where: { $0.tag == phase }) ?? .innerLocal {
        case .innerFull: ParameterLayout([("grad_y", [q])])
        case .innerLocal: ParameterLayout([("y", [q])])
        case .ihgpStart: ParameterLayout([("grad_y_f", [q])])
        case .ihgp: ParameterLayout([("p_plus_c", [q])])
        case .hypergradient: ParameterLayout([("hypergrad", [p])])
        case .outerLocal, .localOuter: ParameterLayout([("x", [p])])
        }
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        let phase = phase(of: round)
        let (outer, step) = position(of: round)
        var tensors = BilevelSupport.pointTensors(state.parameters, p: p)
        var config: [String: Double] = ["phase": Double(phase.rawValue), "outer": Double(outer)]
        switch phase {
        case .innerLocal where innerOptimizer == .svrg:
            tensors.append(BilevelSupport.tensor("q_bar", state.extras["q_bar"] ?? [Float](repeating: 0, count: q)))
        case .ihgp:
            tensors.append(BilevelSupport.tensor("p", state.extras["p"] ?? [Float](repeating: 0, count: q)))
            config["first"] = schedule[step - 1] == .ihgpStart ? 1 : 0
        case .hypergradient:
            tensors.append(BilevelSupport.tensor("p", state.extras["p"] ?? [Float](repeating: 0, count: q)))
        case .outerLocal:
            tensors.append(BilevelSupport.tensor("h_bar", state.extras["h_bar"] ?? [Float](repeating: 0, count: p)))
        default: break
        }
        return RoundPlan(phase: phase.tag, tasks: clients.map { ClientTask(clientID: $0, tensors: tensors, config: config) })
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        var next = state
        var metrics: [String: Double] = ["outer_iteration": Double(position(of: round).outer + 1), "hypergrad_estimate_norm": .nan]
        let phase = phase(of: round)
        switch phase {
        case .innerFull: next.extras["q_bar"] = BilevelSupport.mean("grad_y", of: updates)
        case .innerLocal:
            if let y = BilevelSupport.mean("y", of: updates) { next.parameters.replaceSubrange(p..<(p + q), with: y) }
        case .ihgpStart: next.extras["p"] = BilevelSupport.mean("grad_y_f", of: updates)
        case .ihgp: next.extras["p"] = BilevelSupport.mean("p_plus_c", of: updates) ?? state.extras["p"]
        case .hypergradient:
            next.extras["h_bar"] = BilevelSupport.mean("hypergrad", of: updates)
            metrics["hypergrad_estimate_norm"] = next.extras["h_bar"].map(BilevelSupport.norm) ?? .nan
        case .outerLocal, .localOuter:
            if let x = BilevelSupport.mean("x", of: updates) { next.parameters.replaceSubrange(0..<p, with: x) }
            next.extras = [:]
        }
        return RoundResult(state: next, metrics: metrics)
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        let problem = try BilevelSupport.problem(context)
        let point = try BilevelSupport.parameters(in: task, problem: problem)
        guard let raw = task.config["phase"], let phase = Phase(rawValue: Int(raw)) else { throw AlgorithmError("task has no valid phase") }
        let oracle = NestOracle(problem: problem, data: context.data)
        switch phase {
        case .innerFull:
            return BilevelSupport.reply(task, context, "grad_y", oracle.gradY(.lower, point, rng: &context.rng))
        case .innerLocal:
            let qBar = innerOptimizer == .svrg
                ? try BilevelSupport.vector("q_bar", in: task.tensors, count: q) : nil
            let y = oracle.localLowerEpochs(from: point, epochs: innerEpochs, batch: batchSize, lr: lrInner, svrgMean: qBar, rng: &context.rng)
            return BilevelSupport.reply(task, context, "y", y)
        case .ihgpStart:
            return BilevelSupport.reply(task, context, "grad_y_f", oracle.gradY(.upper, point, rng: &context.rng))
        case .ihgp:
            let pGlobal = try BilevelSupport.vector("p", in: task.tensors, count: q)
            let outer = Float(task.config["outer"] ?? 0)
            // c_i starts from p at the first Neumann round (or when this client joins FedOut late).
            var c = pGlobal
            if task.config["first"] != 1, context.state[Self.neumannOuterKey] == [outer], let kept = context.state[Self.neumannKey] { c = kept }
            let hc = oracle.hessianTimes(point, c, rng: &context.rng)
            for i in 0..<q { c[i] -= lrNeumann * hc[i] }
            context.state[Self.neumannKey] = c
            context.state[Self.neumannOuterKey] = [outer]
            return BilevelSupport.reply(task, context, "p_plus_c", (0..<q).map { pGlobal[$0] + c[$0] })
        case .hypergradient:
            let pSum = try BilevelSupport.vector("p", in: task.tensors, count: q)
            return BilevelSupport.reply(task, context, "hypergrad", oracle.hypergradient(point, neumannSum: pSum, eta: lrNeumann, rng: &context.rng))
        case .outerLocal:
            let hBar = try BilevelSupport.vector("h_bar", in: task.tensors, count: p)
            let anchor = oracle.gradX(.upper, point, rng: &context.rng)
            var current = point
            for _ in 0..<outerSteps {
                let g = oracle.gradX(.upper, current, rng: &context.rng)
                for j in 0..<p { current[j] -= lrOuter * (g[j] - anchor[j] + hBar[j]) }
            }
            return BilevelSupport.reply(task, context, "x", Array(current[0..<p]))
        case .localOuter:
            var current = point
            for _ in 0..<outerSteps {
                let b = oracle.gradY(.upper, current, rng: &context.rng)
                let pSum = oracle.localNeumannSum(current, b, terms: neumannTerms, eta: lrNeumann, rng: &context.rng)
                let h = oracle.hypergradient(current, neumannSum: pSum, eta: lrNeumann, rng: &context.rng)
                for j in 0..<p { current[j] -= lrOuter * h[j] }
            }
            return BilevelSupport.reply(task, context, "x", Array(current[0..<p]))
        }
    }
}
