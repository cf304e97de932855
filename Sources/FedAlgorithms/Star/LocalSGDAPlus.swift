import FedCore
import FedModels

/// Local SGDA+ (Deng and Mahdavi, AISTATS 2021; optimization.md §2.5), for nonconvex–concave games:
/// as Local SGDA, but the server keeps a snapshot x̃ of the min player, refreshed to the current x
/// every S rounds and sent with the model, and clients take the ascent gradient at (x̃, y) instead
/// of (x, y). The snapshot costs dim x extra floats per task (down only).
///
/// Keys: `snapshot_period` (S, 10) plus the FedAvg keys. Refresh timing: x̃ = x_0 at first and,
/// after round t with t a multiple of S, x̃ = x_{t+1} (the paper's "every S iterations").
public struct LocalSGDAPlus: StarAlgorithm {
    public let base: FedAvg
    public let snapshotPeriod: Int
    let server: MinimaxServerStep

    /// Name of the snapshot in the server state and in tasks.
    public static let snapshotKey = "snapshot"

    public init(base: FedAvg, snapshotPeriod: Int, model: any DifferentiableModel) {
        self.base = base
        self.snapshotPeriod = snapshotPeriod
        server = MinimaxServerStep(model: model, weighting: base.weighting)
    }

    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        let period = try section.int("snapshot_period", default: 10, range: 1...1_000_000)
        self.init(base: try FedAvg(section: section, layout: model.layout), snapshotPeriod: period, model: model)
    }

    public var name: String { "local_sgda_plus" }
    public var settingsSummary: [(key: String, value: String)] { [("snapshot_period", "\(snapshotPeriod)")] + base.settingsSummary }
    public var batchCapacity: Int { base.batchCapacity }
    public var metricNames: [String] { ["x_step_norm"] }

    public func initialState(parameters: [Float]) -> ServerState {
        ServerState(parameters: parameters, extras: [Self.snapshotKey: Array(parameters[0..<server.minCount])])
    }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        let model = base.layout.split(state.parameters)
        let snapshot = state.extras[Self.snapshotKey] ?? Array(state.parameters[0..<server.minCount])
        let tensor = NamedTensor(name: Self.snapshotKey, shape: [snapshot.count], values: snapshot)
        return RoundPlan(tasks: clients.map { ClientTask(clientID: $0, tensors: model + [tensor]) })
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        guard !updates.isEmpty else { return RoundResult(state: state, metrics: ["train_loss": .nan, "x_step_norm": 0]) }
        var next = state
        next.parameters = server.step(current: state.parameters, updates: updates, globalLRX: 1, globalLRY: 1)
        if round % snapshotPeriod == 0 { next.extras[Self.snapshotKey] = Array(next.parameters[0..<server.minCount]) }
        return RoundResult(state: next, metrics: [
            "train_loss": Aggregation.weightedMetric("train_loss", in: updates),
            "x_step_norm": server.minPlayerStepNorm(from: state.parameters, to: next.parameters),
        ])
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        guard context.model.maxPlayerRange != nil else { throw AlgorithmError("local_sgda_plus needs a two-player model") }
        guard let snapshot = task.tensors.first(where: { $0.name == Self.snapshotKey }),
              snapshot.values.count == server.minCount else { throw AlgorithmError("task: missing or misshapen snapshot") }
        let layout = context.model.layout
        var parameters: [Float]
        do { parameters = try layout.flatten(task.tensors.filter { $0.name != Self.snapshotKey }) } catch {
            throw AlgorithmError("task: \(error.reason)")
        }
        let outcome = LocalTrainer.train(
            model: context.model, parameters: &parameters, data: context.data, settings: base.local,
            ascentSnapshot: snapshot.values, rng: &context.rng, workspace: context.workspace)
        return ClientUpdate(clientID: task.clientID, numSamples: context.data.count, tensors: layout.split(parameters),
                            metrics: ["train_loss": outcome.meanLoss, "steps": Double(outcome.steps)])
    }
}
