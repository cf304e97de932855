@testable import FedAlgorithms
import FedCore
import FedModels
import Testing

/// The federated recommender's server rules and client step, on hand-made interactions.
@Suite struct FederatedRecommenderTests {
    /// 3 users, 6 items; user 2 holds out items 4 and 5 (protocol A).
    static let training = InteractionSet(userCount: 3, itemCount: 6, pairs: [(0, 0, 0), (0, 1, 0), (0, 2, 0), (1, 1, 0), (1, 3, 0), (2, 0, 0), (2, 2, 0)])
    static let test = InteractionSet(userCount: 3, itemCount: 6, pairs: [(2, 4, 0), (2, 5, 0), (0, 3, 0)])
    let model = RecommenderModel(network: .matrixFactorization(dimension: 2, regularization: 0.01),
                                 data: RecommenderData(training: training, heldOut: .allRanking(test: test), seed: 7))

    func algorithm(_ configure: (inout RecommenderSettings) -> Void = { _ in }) -> FederatedRecommender {
        var settings = RecommenderSettings()
        settings.localEpochs = 2
        settings.evaluateEvery = 2
        configure(&settings)
        return FederatedRecommender(model: model, settings: settings)
    }

    func context(user: Int, round: Int, privateState: ClientState = [:]) -> ClientContext {
        ClientContext(model: model, data: DatasetShard(all: Dataset(features: [], labels: [], dimension: 1, classCount: 2)),
                      rng: RNGStream(seed: 7, purpose: .localTraining, client: UInt64(user), round: UInt64(round)),
                      workspace: model.makeWorkspace(batchCapacity: 1), round: round, privateState: privateState, seed: 7)
    }

    func delta(_ ids: [Int32], _ rows: [[Float]]) -> NamedTensor {
        NamedTensor(name: "item_embedding", shape: [ids.count, 2], values: rows.flatMap { $0 }, rowIDs: ids)
    }

    @Test(arguments: [(RecommenderSettings.ItemRule.meanAll, [Float](arrayLiteral: 0.5, 3, 0, 3)),
                      (.meanTouched, [1, 3, 0, 6]), (.sum, [1, 6, 0, 6])])
    func itemRows_followTheItemRule(rule: RecommenderSettings.ItemRule, expected: [Float]) {
        let algorithm = algorithm { $0.itemRule = rule }
        let state = ServerState(parameters: [Float](repeating: 0, count: model.layout.totalCount))
        let updates = [ClientUpdate(clientID: 0, numSamples: 3, tensors: [delta([0, 1], [[1, 1], [2, 2]])]),
                       ClientUpdate(clientID: 1, numSamples: 2, tensors: [delta([1, 3], [[4, 4], [6, 6]])])]
        let result = algorithm.aggregate(round: 1, state: state, updates: updates, failures: [])
        let next = result.state.parameters
        // Epochs of data: (3 + 2) positives × 2 local epochs over the 7 training interactions.
        #expect(abs(result.metrics["data_epochs"]! - 10.0 / 7) < 1e-6)
        let items = model.layout.entry(named: "item_embedding")!
        // Column 0 of rows 0...3 of Q; both columns carry the same deltas.
        #expect((0..<4).map { next[items.offset + $0 * 2] } == expected)
        #expect((0..<4).map { next[items.offset + $0 * 2 + 1] } == expected)
        // The user rows are the clients' own: the server never moves them.
        #expect(next[0..<items.offset].allSatisfy { $0 == 0 })
    }

    @Test func tasks_carryTheRowsEachClientTrains_andWholeTablesWhenEvaluating() {
        let algorithm = algorithm()
        let state = ServerState(parameters: (0..<model.layout.totalCount).map { Float($0) })
        let plan = algorithm.configureRound(round: 1, clients: [0, 2], state: state)
        for task in plan.tasks {
            let needed = model.data.neededItems(of: task.clientID, round: 1, seed: 7, epochs: 2, perPositive: 1)
            #expect(task.tensors.map(\.name) == ["item_embedding"] && task.tensors[0].rowIDs == needed)
            // Every positive is there; the values are those rows of Q.
            #expect(Set(Self.training.items(of: task.clientID)).isSubset(of: Set(needed)))
            let q = model.layout.entry(named: "item_embedding")!.offset
            var expected = [Float]()
            for item in needed { expected += [Float(q + Int(item) * 2), Float(q + Int(item) * 2 + 1)] }
            #expect(task.tensors[0].values == expected)
        }
        let evaluating = algorithm.configureRound(round: 3, clients: [1], state: state).tasks[0]
        #expect(evaluating.tensors[0].rowIDs == nil && evaluating.tensors[0].shape == [6, 2])
        #expect(evaluating.config[FederatedRecommender.evaluateKey] == 1)
    }

    /// A client trains on its own rows, keeps its user row and Adam moments, uploads deltas of exactly
    /// the rows it trained and nothing about its user row.
    @Test func clientStep_keepsTheUserRowAndUploadsRowDeltas() throws {
        let algorithm = algorithm()
        var rng = RNGStream(seed: 7, purpose: .parameterInit)
        let state = ServerState(parameters: model.initialParameters(rng: &rng))
        let task = algorithm.configureRound(round: 1, clients: [0], state: state).tasks[0]
        var first = context(user: 0, round: 1)
        let update = try algorithm.train(task: task, context: &first)
        #expect(update.numSamples == 3 && update.tensors.map(\.name) == ["item_embedding"])
        #expect(update.tensors[0].rowIDs == task.tensors[0].rowIDs && update.tensors[0].values.contains { $0 != 0 })
        let saved = first.privateState
        #expect(saved["user"]?.count == 2 && saved["adam.m"]?.count == 2 && saved["adam.steps"] == [2])  // 3 positives, one batch per epoch, 2 epochs
        // The user row moved from its initial value (row 0 of P) and the second task continues from it.
        #expect(saved["user"]! != Array(state.parameters[0..<2]))
        var second = context(user: 0, round: 2, privateState: saved)
        let next = algorithm.configureRound(round: 2, clients: [0], state: state).tasks[0]
        _ = try algorithm.train(task: next, context: &second)
        #expect(second.privateState["adam.steps"] == [4])
    }

    /// The report a client makes equals protocol A computed on the whole model with its user row.
    @Test func evaluationReport_matchesTheCentralMetricOfTheSameRows() throws {
        let algorithm = algorithm()
        var rng = RNGStream(seed: 3, purpose: .parameterInit)
        let state = ServerState(parameters: model.initialParameters(rng: &rng))
        var trained = context(user: 2, round: 1)
        _ = try algorithm.train(task: algorithm.configureRound(round: 1, clients: [2], state: state).tasks[0], context: &trained)
        let saved = trained.privateState
        let plan = algorithm.evaluationPlan(round: 2, clients: [2], state: state)!
        var evaluating = context(user: 2, round: 2, privateState: saved)
        let report = try algorithm.train(task: plan.tasks[0], context: &evaluating)
        #expect(report.tensors.isEmpty && evaluating.privateState == saved)
        var whole = state.parameters
        for k in 0..<2 { whole[2 * 2 + k] = saved["user"]![k] }
        // User 2 alone: the same held-out items, every other user's removed.
        let onlyUser2 = InteractionSet(userCount: 3, itemCount: 6, pairs: [(2, 4, 0), (2, 5, 0)])
        let central = RecommenderTraining.evaluate(embeddings: whole, width: 2, training: Self.training, test: onlyUser2, k: 20)
        #expect(report.metrics["eval:recall_20:count"] == 1 && report.metrics["eval:ndcg_20:count"] == 1)
        #expect(abs(report.metrics["eval:recall_20:sum"]! - central.recall) < 1e-9)
        #expect(abs(report.metrics["eval:ndcg_20:sum"]! - central.ndcg) < 1e-9)
    }

    /// Federated LightGCN: after rounds in which every client took part, the server's aggregates are
    /// exactly the sums of every user's current rows, M1_i = Σ_u p_u s_ui and M2_i = Σ_u e1_u s_ui,
    /// though the server never held a user row.
    @Test func lightGCNAggregates_stayTheSumsOfEveryUsersContributions() throws {
        let lightGCN = RecommenderModel(network: .lightGCN(dimension: 2, layers: 2, regularization: 0.01),
                                        data: RecommenderData(training: Self.training, heldOut: .allRanking(test: Self.test), seed: 7))
        var settings = RecommenderSettings()
        settings.localEpochs = 2
        settings.evaluateEvery = 100
        let algorithm = FederatedRecommender(model: lightGCN, settings: settings)
        var state = algorithm.initialState(parameters: lightGCN.initialParameters(seed: 7))
        var privateStates = [Int: ClientState]()
        for round in 1...3 {
            var updates = [ClientUpdate]()
            for task in algorithm.configureRound(round: round, clients: [0, 1, 2], state: state).tasks {
                var context = ClientContext(model: lightGCN, data: DatasetShard(all: Dataset(features: [], labels: [], dimension: 1, classCount: 2)),
                                            rng: RNGStream(seed: 7, purpose: .localTraining, client: UInt64(task.clientID), round: UInt64(round)),
                                            workspace: lightGCN.makeWorkspace(batchCapacity: 1), round: round,
                                            privateState: privateStates[task.clientID] ?? [:], seed: 7)
                updates.append(try algorithm.train(task: task, context: &context))
                privateStates[task.clientID] = context.privateState
                #expect(Set(updates.last!.tensors.map(\.name)) == ["item_embedding", "lightgcn.aggregate1", "lightgcn.aggregate2"])
            }
            state = algorithm.aggregate(round: round, state: state, updates: updates, failures: []).state
        }
        let degrees = Self.training.itemDegrees
        var m1 = [Double](repeating: 0, count: 12), m2 = m1
        for user in 0..<3 {
            let p = try #require(privateStates[user]?["user"]), e1 = try #require(privateStates[user]?["lightgcn.sent_first_layer"])
            #expect(privateStates[user]?["lightgcn.sent_user"] == p)
            let items = Self.training.items(of: user)
            for item in items {
                let s = 1 / (Double(items.count) * Double(degrees[Int(item)])).squareRoot()
                for k in 0..<2 {
                    m1[Int(item) * 2 + k] += Double(p[k]) * s
                    m2[Int(item) * 2 + k] += Double(e1[k]) * s
                }
            }
        }
        let served1 = try #require(state.extras["lightgcn.aggregate1"]), served2 = try #require(state.extras["lightgcn.aggregate2"])
        for index in 0..<12 {
            #expect(abs(Double(served1[index]) - m1[index]) < 1e-5 && abs(Double(served2[index]) - m2[index]) < 1e-5, "row \(index / 2)")
        }
    }
}
