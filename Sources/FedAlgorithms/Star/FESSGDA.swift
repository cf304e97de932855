import FedCore
import FedModels

/// FESS-GDA (Shen, Huang, Zhang, Shen, "Stochastic Smoothed Gradient Descent Ascent for Federated
/// Minimax Optimization", AISTATS 2024; optimization.md §2.3): Local SGDA on the smoothed surrogate
/// f̂(x, y; z) = f(x, y) + (p/2)‖x − z‖², with an anchor z kept by the server that slowly tracks x.
///
///     clients: K projected SGDA steps from (x_t, y_t), upload (x_i, y_i)
///     server:  x_{t+1} = x_t + η_x,g · mean Δx_i − η_x,g · η_x,l · K · p · (x_t − z_t)
///              y_{t+1} = P_Y(y_t + η_y,g · mean Δy_i)
///              z_{t+1} = z_t + β (x_{t+1} − z_t),   z_0 = x_0
///
/// Reconstructed parts, as the specification marks them: no official code exists and the update
/// equations follow a third-party rendering consistent with Smoothed-AGDA; z_0 = x_0 is assumed.
/// `smoothing: client` is the specification's variant B: z_t is sent with the model and the pull
/// p(x − z_t) enters every local x step instead of the server step. K in the server step is the
/// number of local steps the clients report (sample-weighted mean). The mean over clients is
/// sample-weighted unless `client_weighting: uniform` (the objective decomposition of the fair
/// classification model assumes sample weights).
///
/// Keys: `smoothing_p` (p, 1.0; 0 gives Local SGDA), `anchor_rate` (β, 0.1), `global_lr_x` and
/// `global_lr_y` (η_g, 1.0), `smoothing` (`server` or `client`), plus the FedAvg keys.
public struct FESSGDA: StarAlgorithm {
    public let base: FedAvg
    public let p: Double
    public let beta: Double
    public let globalLRX: Double
    public let globalLRY: Double
    public let clientSideSmoothing: Bool
    let server: MinimaxServerStep

    /// Name of the anchor z in the server state (and in tasks, for client-side smoothing).
    public static let anchorKey = "anchor"

    public init(base: FedAvg, p: Double, beta: Double, globalLRX: Double = 1, globalLRY: Double = 1,
                clientSideSmoothing: Bool = false, model: any DifferentiableModel) {
        self.base = base
        (self.p, self.beta, self.globalLRX, self.globalLRY) = (p, beta, globalLRX, globalLRY)
        self.clientSideSmoothing = clientSideSmoothing
        server = MinimaxServerStep(model: model, weighting: base.weighting)
    }

    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        self.init(
            base: try FedAvg(section: section, layout: model.layout),
            p: try section.double("smoothing_p", default: 1, range: 0...1_000),
            beta: try section.double("anchor_rate", default: 0.1, range: 0...1),
            globalLRX: try section.double("global_lr_x", default: 1, range: 0...100),
            globalLRY: try section.double("global_lr_y", default: 1, range: 0...100),
            clientSideSmoothing: try section.string("smoothing", oneOf: ["server", "client"], default: "server") == "client",
            model: model)
    }

    public var name: String { "fess_gda" }
    public var settingsSummary: [(key: String, value: String)] {
        [("smoothing_p", "\(p)"), ("anchor_rate", "\(beta)"), ("global_lr_x", "\(globalLRX)"), ("global_lr_y", "\(globalLRY)"),
         ("smoothing", clientSideSmoothing ? "client" : "server")] + base.settingsSummary
    }
    public var batchCapacity: Int { base.batchCapacity }
    public var metricNames: [String] { ["x_step_norm", "smoothed_grad_norm"] }

    public func initialState(parameters: [Float]) -> ServerState {
        ServerState(parameters: parameters, extras: [Self.anchorKey: Array(parameters[0..<server.minCount])])
    }

    private func anchor(_ state: ServerState) -> [Float] {
        state.extras[Self.anchorKey] ?? Array(state.parameters[0..<server.minCount])
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        var tensors = base.layout.split(state.parameters)
        if clientSideSmoothing {
            let z = anchor(state)
            tensors.append(NamedTensor(name: Self.anchorKey, shape: [z.count], values: z))
        }
        return RoundPlan(tasks: clients.map { ClientTask(clientID: $0, tensors: tensors) })
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        guard !updates.isEmpty else {
            return RoundResult(state: state, metrics: ["train_loss": .nan, "x_step_norm": 0, "smoothed_grad_norm": .nan])
        }
        let x = state.parameters, z = anchor(state), m = server.minCount
        let steps = Aggregation.weightedMetric("steps", in: updates)
        let lr = Double(base.local.optimizer.learningRate)
        // Server-side smoothing: K descent steps' worth of the pull p(x_t − z_t), evaluated at x_t.
        var pull = [Double]()
        if !clientSideSmoothing && p != 0 {
            let scale: Double = globalLRX * lr * steps * p
            pull = (0..<m).map { (i: Int) -> Double in scale * (Double(x[i]) - Double(z[i])) }
        }
        var next = state
        next.parameters = server.step(current: x, updates: updates, globalLRX: globalLRX, globalLRY: globalLRY, smoothing: pull)
        let moved = next.parameters
        next.extras[Self.anchorKey] = (0..<m).map { (i: Int) -> Float in
            let old = Double(z[i])
            return Float(old + beta * (Double(moved[i]) - old))
        }
        return RoundResult(state: next, metrics: [
            "train_loss": Aggregation.weightedMetric("train_loss", in: updates),
            "x_step_norm": server.minPlayerStepNorm(from: x, to: next.parameters),
            "smoothed_grad_norm": smoothedGradientNorm(x: x, z: z, updates: updates, steps: steps, lr: lr),
        ])
    }

    /// An estimate of ‖∇_x f̂(x_t, y_t; z_t)‖ from the round's uploads: the clients' mean local
    /// gradient, −mean Δx_i / (η_l K), plus the smoothing gradient p(x_t − z_t). The local gradients
    /// are taken along the clients' paths, so this is exact only for K = 1.
    private func smoothedGradientNorm(x: [Float], z: [Float], updates: [ClientUpdate], steps: Double, lr: Double) -> Double {
        guard steps > 0, lr > 0 else { return .nan }
        let (flats, weights) = server.uploads(updates)
        let mean = Aggregation.weightedMean(flats, weights: weights)
        var sum = 0.0
        for i in 0..<server.minCount {
            let g = -(Double(mean[i]) - Double(x[i])) / (lr * steps) + p * (Double(x[i]) - Double(z[i]))
            sum += g * g
        }
        return sum.squareRoot()
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        guard clientSideSmoothing else { return try base.train(task: task, context: &context) }
        guard let z = task.tensors.first(where: { $0.name == Self.anchorKey }), z.values.count == server.minCount else {
            throw AlgorithmError("task: missing or misshapen anchor")
        }
        let layout = context.model.layout
        var parameters: [Float]
        do { parameters = try layout.flatten(task.tensors.filter { $0.name != Self.anchorKey }) } catch {
            throw AlgorithmError("task: \(error.reason)")
        }
        var anchor = parameters
        for i in 0..<z.values.count { anchor[i] = z.values[i] }
        let outcome = LocalTrainer.train(
            model: context.model, parameters: &parameters, data: context.data, settings: base.local,
            proximal: LocalTrainer.Proximal(anchor: anchor, mu: Float(p), range: 0..<server.minCount),
            rng: &context.rng, workspace: context.workspace)
        return ClientUpdate(clientID: task.clientID, numSamples: context.data.count, tensors: layout.split(parameters),
                            metrics: ["train_loss": outcome.meanLoss, "steps": Double(outcome.steps)])
    }
}
