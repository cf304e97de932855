import FedAlgorithms
import FedCore
import FedModels
import Testing

/// Frozen tensors (DESIGN §10) under FedAvg: a frozen base is never in a task or an update, each
/// client rebuilds it from the seed, the optimiser never moves it, and the server keeps it.
@Suite struct FrozenParameterTests {
    @Test func fedAvg_sendsAndAveragesOnlyTheAdapters_andTheBaseStaysFromTheSeed() throws {
        Matmul.setThreadCount(1)
        let model = AdapterMLP(experts: 4, rank: 2, routing: .reinforced(topK: 2, selections: 2), baseSeed: 21)
        let structure = SkillTeacher.structure(student: model, seed: 22)
        let rows = SkillTeacher.rows(structure, count: 256, seed: 22, part: 0)
        let seed: UInt64 = 23
        var initRNG = RNGStream(seed: seed, purpose: .parameterInit)
        let initial = model.initialParameters(rng: &initRNG)
        // Momentum and weight decay would move the base if the optimiser touched it.
        let local = LocalTrainer.Settings(epochs: 1, batchSize: 32, optimizer: SGD.Settings(learningRate: 0.1, momentum: 0.9, weightDecay: 0.01))
        let algorithm = FedAvg(local: local, layout: model.layout)
        let frozenNames = Set(model.layout.entries.filter { $0.role == .frozen }.map(\.name))
        #expect(frozenNames.count == 4)
        #expect(Set(algorithm.updateLayout(modelLayout: model.layout).entries.map(\.name)).isDisjoint(with: frozenNames))

        let state = algorithm.initialState(parameters: initial)
        let plan = algorithm.configureRound(round: 1, clients: [0, 1], state: state)
        for task in plan.tasks { #expect(Set(task.tensors.map(\.name)).isDisjoint(with: frozenNames), "a task carried a frozen tensor") }
        var updates = [ClientUpdate]()
        for task in plan.tasks {
            let shard = DatasetShard(base: rows.data, indices: Array(stride(from: task.clientID, to: rows.data.count, by: 2)))
            var context = ClientContext(model: model, data: shard, rng: RNGStream(seed: seed, purpose: .localTraining, client: UInt64(task.clientID)),
                                        workspace: model.makeWorkspace(batchCapacity: 32), seed: seed)
            let update = try algorithm.train(task: task, context: &context)
            #expect(Set(update.tensors.map(\.name)).isDisjoint(with: frozenNames), "an update carried a frozen tensor")
            #expect(update.metrics["train_loss"].map(\.isFinite) == true)
            updates.append(update)
        }
        let next = algorithm.aggregate(round: 1, state: state, updates: updates, failures: []).state
        for entry in model.layout.entries {
            let range = entry.offset..<(entry.offset + entry.count)
            if entry.role == .frozen {
                #expect(next.parameters[range] == initial[range], "the server's \(entry.name) changed")
            } else if entry.name.hasSuffix(".up") {
                #expect(next.parameters[range] != initial[range], "\(entry.name) did not train")
            }
        }
    }

    /// Local Adam (`optimizer: adam`) trains the adapters and leaves the frozen base exactly as the seed
    /// built it (its gradient is zero, so are its moments and steps), and lowers the loss.
    @Test func localAdam_trainsTheAdapters_andNeverMovesTheBase() {
        Matmul.setThreadCount(1)
        let model = AdapterMLP(experts: 4, rank: 2, routing: .learned(topK: 2, auxiliary: 0.01), baseSeed: 31)
        let rows = SkillTeacher.rows(SkillTeacher.structure(student: model, seed: 32), count: 512, seed: 32, part: 0).data
        var rng = RNGStream(seed: 33, purpose: .parameterInit)
        let initial = model.initialParameters(rng: &rng)
        var parameters = initial
        let settings = LocalTrainer.Settings(epochs: 10, batchSize: 64, optimizer: SGD.Settings(learningRate: 1e-2),
                                             adam: Adam.Settings(learningRate: 1e-2))
        var trainRNG = RNGStream(seed: 34, purpose: .localTraining)
        let workspace = model.makeWorkspace(batchCapacity: 64)
        _ = LocalTrainer.train(model: model, parameters: &parameters, data: DatasetShard(all: rows), settings: settings, rng: &trainRNG, workspace: workspace)
        for entry in model.layout.entries where entry.role == .frozen {
            #expect(parameters[entry.offset..<(entry.offset + entry.count)] == initial[entry.offset..<(entry.offset + entry.count)])
        }
        let before = model.evaluate(parameters: initial, on: rows).loss, after = model.evaluate(parameters: parameters, on: rows).loss
        #expect(after < 0.8 * before, "loss \(before) → \(after)")
    }
}
