import FedAlgorithms
import FedCore
import FedModels

/// Runs a star algorithm in memory, without the runtime: each round samples `perRound` of the
/// clients uniformly without replacement, trains each sampled client on its shard (keeping its
/// state), and aggregates in client-id order. Enough to test an algorithm's maths in isolation;
/// the runtime tests run the same algorithms through real coordinators and workers.
struct StarDriver {
    let algorithm: any StarAlgorithm
    let model: any DifferentiableModel
    let shards: [DatasetShard]
    var state: ServerState
    var clientStates: [Int: ClientState] = [:]
    var sampling: RNGStream

    init(algorithm: any StarAlgorithm, model: any DifferentiableModel, shards: [DatasetShard], parameters: [Float], seed: UInt64 = 5) {
        self.algorithm = algorithm
        self.model = model
        self.shards = shards
        state = algorithm.initialState(parameters: parameters)
        sampling = RNGStream(seed: seed, purpose: .sampling)
    }

    /// One round with `perRound` sampled clients; returns the round's metrics.
    @discardableResult
    mutating func round(_ round: Int, perRound: Int) throws -> [String: Double] {
        let clients = sampling.sample(perRound, from: shards.count)
        let plan = algorithm.configureRound(round: round, clients: clients, state: state)
        let workspace = model.makeWorkspace(batchCapacity: max(algorithm.batchCapacity, 1))
        var updates = [ClientUpdate]()
        for task in plan.tasks {
            var context = ClientContext(
                model: model, data: shards[task.clientID],
                rng: RNGStream(seed: 9, purpose: .localTraining, client: UInt64(task.clientID), round: UInt64(round)),
                workspace: workspace, state: clientStates[task.clientID] ?? [:], round: round)
            updates.append(try algorithm.train(task: task, context: &context))
            clientStates[task.clientID] = context.state
        }
        let result = algorithm.aggregate(round: round, state: state, updates: updates, failures: [])
        state = result.state
        return result.metrics
    }

    /// One shard per row of `data` (the quadratic problems hold one client per row).
    static func rowShards(_ data: Dataset) -> [DatasetShard] {
        (0..<data.count).map { DatasetShard(base: data, indices: [$0]) }
    }
}
