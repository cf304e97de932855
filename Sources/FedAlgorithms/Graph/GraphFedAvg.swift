import FedCore
import FedModels

/// The two graph baselines of ASFGNN (spec §1.3), one type because they differ only in the roles of
/// the network's tensors:
///
/// - `gcn_fedavg`, the naive federated GNN: every tensor is shared; the server sends the global
///   network, each client runs E full-batch Adam epochs on its subgraph and returns it, and the
///   server averages the networks weighted by training nodes (folded in client-id order). Each
///   client evaluates the global network it receives on its own nodes.
/// - `gcn_local`, local-only training: every tensor is private; nothing but scalars travels, and each
///   client evaluates its own network.
///
/// Adam's moments stay with each client (private state) in both. Evaluation is reported at the
/// start of each round, on the network the client holds then (so round r's report describes the
/// state after round r − 1, and the coordinator's evaluation-only exchange covers the last round).
public struct GraphFedAvg: StarAlgorithm {
    public enum Variant: String, Sendable { case fedavg = "gcn_fedavg", local = "gcn_local" }

    public let variant: Variant
    public let local: GraphLocalSettings
    /// The model layout with each tensor's role for this variant.
    public let layout: ParameterLayout

    public init(variant: Variant, local: GraphLocalSettings, modelLayout: ParameterLayout) {
        self.variant = variant
        self.local = local
        layout = modelLayout.assigningRoles { _ in variant == .fedavg ? .shared : .private }
    }

    public init(variant: Variant, section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        self.init(variant: variant, local: try GraphLocalSettings(section: section), modelLayout: model.layout)
    }

    public var name: String { variant.rawValue }
    public var settingsSummary: [(key: String, value: String)] { local.summary }
    public var batchCapacity: Int { 1 }

    public func initialState(parameters: [Float]) -> ServerState { ServerState(parameters: parameters) }

    public func updateLayout(modelLayout: ParameterLayout) -> ParameterLayout { layout.part(.shared) }
    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout {
        phase == ClientEvaluation.phase ? ParameterLayout([]) : layout.part(.shared)
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        let shared = layout.part(.shared).split(layout.gather(.shared, from: state.parameters))
        return RoundPlan(tasks: clients.map { ClientTask(clientID: $0, tensors: shared) })
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        var next = state
        let shared = layout.part(.shared)
        // The runtime validated every update against `updateLayout`.
        let parts = updates.compactMap { try? shared.flatten($0.tensors) }
        if shared.totalCount > 0, !parts.isEmpty, parts.count == updates.count {
            let mean = Aggregation.weightedMean(parts, weights: updates.map { Double($0.numSamples) })
            layout.scatter(.shared, mean, into: &next.parameters)
        }
        return RoundResult(state: next, metrics: ["train_loss": Aggregation.weightedMetric("train_loss", in: updates)])
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        let graph = try context.requireGraph(name)
        let (model, seed) = (context.model, context.seed)
        var client = try GraphClientModel(privateState: context.privateState, context: context, settings: local) { ClientContext.initialParameters(model: model, seed: seed) }
        let shared = layout.part(.shared)
        do {
            layout.scatter(.shared, try shared.flatten(task.tensors), into: &client.parameters)
        } catch {
            throw AlgorithmError("task: \(error.reason)")
        }
        var metrics = [String: Double]()
        GraphClientModel.report(client.parameters, graph: graph, into: &metrics)
        if task.config[ClientEvaluation.evaluateOnlyKey] == 1 {
            return ClientUpdate(clientID: task.clientID, numSamples: max(graph.train.count, 1), tensors: [], metrics: metrics)
        }
        metrics["train_loss"] = client.train(graph: graph, epochs: local.localEpochs, rng: &context.rng)
        client.save(into: &context.privateState)
        return ClientUpdate(clientID: task.clientID, numSamples: max(graph.train.count, 1),
                            tensors: shared.split(layout.gather(.shared, from: client.parameters)), metrics: metrics)
    }
}
