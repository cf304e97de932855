import FedCore
import FedModels

/// An algorithm that trains graph models over whole subgraphs (the workload catalogue pairs graph
/// data and models with these only).
public protocol GraphAlgorithm: StarAlgorithm {}
extension GraphFedAvg: GraphAlgorithm {}
extension ASFGNN: GraphAlgorithm {}

extension GraphAlgorithm {
    /// Every graph client keeps its network and optimiser on its worker.
    public var keepsPrivateState: Bool { true }

    /// The round's ordinary tasks, marked evaluation-only: clients evaluate what they would train.
    public func evaluationPlan(round: Int, clients: [Int], state: ServerState) -> RoundPlan? {
        var plan = configureRound(round: round, clients: clients, state: state)
        plan.phase = ClientEvaluation.phase
        for i in plan.tasks.indices { plan.tasks[i].config[ClientEvaluation.evaluateOnlyKey] = 1 }
        return plan
    }
}
