import FedCore
import FedModels

/// Local SGDA (Deng and Mahdavi, AISTATS 2021; the FedGDA baseline of optimization.md §2.5): every
/// sampled client runs K simultaneous projected descent–ascent steps from (x_t, y_t), and the server
/// averages the results, y projected back onto its feasible set:
///
///     x_{t+1} = x_t + mean Δx_i,   y_{t+1} = P_Y(y_t + mean Δy_i).
///
/// On a two-player model this is FedAvg's client (the model's gradients are in descent form for both
/// players and the trainer projects y after every step) with a projected average; the mean is
/// sample-weighted unless `client_weighting: uniform`. Keys: the FedAvg keys.
public struct LocalSGDA: FedAvgServerVariant {
    public let base: FedAvg
    let model: any DifferentiableModel

    public init(base: FedAvg, model: any DifferentiableModel) {
        self.base = base
        self.model = model
    }

    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        self.init(base: try FedAvg(section: section, layout: model.layout), model: model)
    }

    public var name: String { "local_sgda" }
    public var settingsSummary: [(key: String, value: String)] { base.settingsSummary }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        var result = base.aggregate(round: round, state: state, updates: updates, failures: failures)
        if model.maxPlayerRange != nil { result.state.parameters.withUnsafeMutableBufferPointer { model.projectMaxPlayer($0) } }
        return result
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        try base.train(task: task, context: &context)
    }
}
