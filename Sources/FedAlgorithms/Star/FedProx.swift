import FedCore
import FedModels

/// FedProx (Li et al., "Federated Optimization in Heterogeneous Networks", MLSys 2020).
///
/// As FedAvg, but client k minimises F_k(w) + μ/2·‖w − w_t‖² locally, which limits how far
/// heterogeneous clients drift from the global model. μ = 0 is exactly FedAvg.
///
/// Keys: `mu` (0.01) plus the FedAvg keys. The paper's variable local work per device
/// ("γ-inexact solutions") is not modelled: every client runs the configured local epochs.
public struct FedProx: StarAlgorithm {
    public let local: LocalTrainer.Settings
    /// μ ≥ 0, the proximal coefficient.
    public let mu: Float
    public let layout: ParameterLayout

    public init(local: LocalTrainer.Settings, mu: Float, layout: ParameterLayout) {
        self.local = local
        self.mu = mu
        self.layout = layout
    }

    /// Reads the settings from the topology's `algorithm:` section.
    public init(section: ConfigSection, layout: ParameterLayout) throws(ConfigError) {
        let mu = try section.double("mu", default: 0.01, range: 0...1_000)
        self.init(local: try LocalSGDSettings.decode(section), mu: Float(mu), layout: layout)
    }

    public var name: String { "fedprox" }
    public var settingsSummary: [(key: String, value: String)] { [("mu", "\(mu)")] + LocalSGDSettings.summary(local) }
    public var batchCapacity: Int { local.batchSize }

    public func initialState(parameters: [Float]) -> ServerState { ServerState(parameters: parameters) }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        let model = layout.split(state.parameters)
        return RoundPlan(tasks: clients.map { ClientTask(clientID: $0, tensors: model) })
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        LocalSGDSettings.averageModels(state: state, updates: updates, layout: layout)
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        try LocalSGDSettings.runClient(task: task, settings: local, mu: mu, context: &context)
    }
}
