import FedCore
import FedModels

/// FedAvg (McMahan et al., "Communication-Efficient Learning of Deep Networks from
/// Decentralized Data", AISTATS 2017).
///
/// Round t: the server sends w_t to the sampled clients S_t; client k runs local SGD from w_t
/// on its n_k examples and returns w_t^k; the server sets w_{t+1} = Σ_k n_k w_t^k / Σ_k n_k
/// over the clients that answered, folded in client-id order.
///
/// Keys: see `LocalSGDSettings` (`local_epochs`, `local_steps`, `batch_size`, `lr`, `momentum`,
/// `weight_decay`), and `client_weighting`: `samples` (n_k, the paper's rule; default) or `uniform`
/// (every answering client weighs the same, as in reference codes with few, unequal clients).
public struct FedAvg: StarAlgorithm {
    public let local: LocalTrainer.Settings
    /// The model layout (names and shapes of the tensors in tasks and updates).
    public let layout: ParameterLayout
    public let weighting: ClientWeighting

    /// How the server weighs the clients' uploads.
    public enum ClientWeighting: String, Sendable, CaseIterable {
        case samples, uniform
    }

    public init(local: LocalTrainer.Settings, layout: ParameterLayout, weighting: ClientWeighting = .samples) {
        self.local = local
        self.layout = layout
        self.weighting = weighting
    }

    /// Reads the settings from the topology's `algorithm:` section.
    public init(section: ConfigSection, layout: ParameterLayout) throws(ConfigError) {
        let weighting = try section.string("client_weighting", oneOf: ClientWeighting.allCases.map(\.rawValue), default: "samples")
        self.init(local: try LocalSGDSettings.decode(section), layout: layout, weighting: ClientWeighting(rawValue: weighting) ?? .samples)
    }

    public var name: String { "fedavg" }
    public var settingsSummary: [(key: String, value: String)] {
        LocalSGDSettings.summary(local) + [("client_weighting", weighting.rawValue)]
    }
    public var batchCapacity: Int { local.batchSize }

    public func initialState(parameters: [Float]) -> ServerState { ServerState(parameters: parameters) }

    /// Only shared tensors travel: frozen ones are rebuilt from the seed, private ones stay on the
    /// client's worker. Evaluation-only answers carry no tensors.
    public func updateLayout(modelLayout: ParameterLayout) -> ParameterLayout { modelLayout.travellingPart }
    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout {
        phase == ClientEvaluation.phase ? ParameterLayout([]) : modelLayout.travellingPart
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        let model = layout.travellingPart.split(layout.gatherTravelling(from: state.parameters))
        return RoundPlan(tasks: clients.map { ClientTask(clientID: $0, tensors: model) })
    }

    /// A model with private tensors (a personal router) is only whole on its clients: they keep
    /// those tensors, evaluate on their own test rows and report, as graph clients do.
    public var keepsPrivateState: Bool { layout.count(of: .private) > 0 }

    public func evaluationPlan(round: Int, clients: [Int], state: ServerState) -> RoundPlan? {
        guard keepsPrivateState else { return nil }
        var plan = configureRound(round: round, clients: clients, state: state)
        plan.phase = ClientEvaluation.phase
        for i in plan.tasks.indices { plan.tasks[i].config[ClientEvaluation.evaluateOnlyKey] = 1 }
        return plan
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        LocalSGDSettings.averageModels(state: state, updates: updates, layout: layout, uniform: weighting == .uniform)
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        try LocalSGDSettings.runClient(task: task, settings: local, mu: 0, context: &context)
    }
}

/// An algorithm whose server side is FedAvg's (sample-weighted averaging of the uploads) and which
/// changes only what a client does; it wraps a `FedAvg` and inherits the rest.
public protocol FedAvgServerVariant: StarAlgorithm {
    var base: FedAvg { get }
}

extension FedAvgServerVariant {
    public var batchCapacity: Int { base.batchCapacity }

    public func initialState(parameters: [Float]) -> ServerState { base.initialState(parameters: parameters) }

    public func updateLayout(modelLayout: ParameterLayout) -> ParameterLayout { base.updateLayout(modelLayout: modelLayout) }
    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout {
        base.updateLayout(modelLayout: modelLayout, phase: phase)
    }
    public var keepsPrivateState: Bool { base.keepsPrivateState }
    public func evaluationPlan(round: Int, clients: [Int], state: ServerState) -> RoundPlan? {
        base.evaluationPlan(round: round, clients: clients, state: state)
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        base.configureRound(round: round, clients: clients, state: state)
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        base.aggregate(round: round, state: state, updates: updates, failures: failures)
    }
}
