@testable import FedAlgorithms
import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// Three small subgraphs whose labels follow their features and whose edges join equal labels, and a driver that runs a graph
/// algorithm over them in memory, keeping each client's private state as a worker would.
struct GraphDriver {
    let algorithm: any StarAlgorithm
    let model: GraphModel
    let clients: [GraphClient]
    var state: ServerState
    var privateStates = [Int: ClientState]()

    static func makeClients(model: GraphModel, seed: UInt64 = 4) -> [GraphClient] {
        var rng = RNGStream(seed: seed, purpose: .synthetic)
        let f = model.inputDimension, c = model.classCount
        return (0..<3).map { client in
            let n = 24 + 4 * client
            var entries = [SparseMatrix.Entry]()
            var labels = [Int32]()
            for v in 0..<n {
                let label = (v + client) % c
                labels.append(Int32(label))
                entries.append(SparseMatrix.Entry(row: v, column: label, value: 1))  // the informative feature
                for column in c..<f where rng.nextUnitDouble() < 0.3 { entries.append(SparseMatrix.Entry(row: v, column: column, value: 1)) }
            }
            let features = try! SparseMatrix(rowCount: n, columnCount: f, entries: entries)
            var edges = [GraphEdge]()
            for v in 3..<n { edges.append(GraphEdge(v - 3, v)!) }  // homophilous: same label
            let adjacency = SparseMatrix.normalizedAdjacency(nodeCount: n, edges: edges)
            let nodes = Array(0..<n)
            return GraphClient(network: model.network, inputs: GraphInputs(features: features, adjacency: adjacency, labels: labels),
                               train: nodes.filter { $0 % 2 == 0 }, validation: nodes.filter { $0 % 4 == 1 }, test: nodes.filter { $0 % 4 == 3 })
        }
    }

    init(algorithm: any StarAlgorithm, model: GraphModel, seed: UInt64 = 4) {
        self.algorithm = algorithm
        self.model = model
        clients = Self.makeClients(model: model, seed: seed)
        var rng = RNGStream(seed: 1, purpose: .parameterInit)
        state = algorithm.initialState(parameters: model.initialParameters(rng: &rng))
    }

    /// One round over every client; returns the updates (client-id order).
    @discardableResult
    mutating func round(_ round: Int, evaluateOnly: Bool = false) throws -> [ClientUpdate] {
        let ids = Array(clients.indices)
        let plan = evaluateOnly ? algorithm.evaluationPlan(round: round, clients: ids, state: state)! : algorithm.configureRound(round: round, clients: ids, state: state)
        var updates = [ClientUpdate]()
        for task in plan.tasks {
            var context = ClientContext(
                model: model, data: DatasetShard(all: Dataset(features: [], labels: [], dimension: 1, classCount: 2)),
                rng: RNGStream(seed: 1, purpose: .localTraining, client: UInt64(task.clientID), round: UInt64(round)),
                workspace: model.makeWorkspace(batchCapacity: 1), round: round, privateState: privateStates[task.clientID] ?? [:],
                graph: clients[task.clientID], seed: 1)
            updates.append(try algorithm.train(task: task, context: &context))
            if !evaluateOnly { privateStates[task.clientID] = context.privateState }
        }
        if !evaluateOnly { state = algorithm.aggregate(round: round, state: state, updates: updates, failures: []).state }
        return updates
    }

    static func model(head: Bool = true) -> GraphModel {
        let settings = GraphConvNet.Settings(widths: head ? [8, 6] : [8, 3], head: head, biases: true, dropout: 0.2)
        return GraphModel(network: GraphConvNet(settings: settings, inputDimension: 10, classCount: 3))
    }
}

@Suite struct GraphAlgorithmTests {
    func asfgnn(_ configure: (inout ASFGNN.Settings) -> Void = { _ in }) throws -> ASFGNN {
        var settings = ASFGNN.Settings()
        settings.local = GraphLocalSettings(learningRate: 0.05, localEpochs: 2)
        configure(&settings)
        return try ASFGNN(settings: settings, model: GraphDriver.model())
    }

    /// Claim 5: α = 0 ignores the global head, so every client follows local-only training exactly.
    @Test func interpWithAlphaZero_isLocalOnlyTraining() throws {
        var mixed = GraphDriver(algorithm: try asfgnn { $0.fixedAlpha = 0 }, model: GraphDriver.model())
        var local = GraphDriver(algorithm: GraphFedAvg(variant: .local, local: GraphLocalSettings(learningRate: 0.05, localEpochs: 2),
                                                       modelLayout: GraphDriver.model().layout), model: GraphDriver.model())
        for r in 1...6 {
            let a = try mixed.round(r), b = try local.round(r)
            for (x, y) in zip(a, b) {
                #expect(x.metrics["train_loss"] == y.metrics["train_loss"], "round \(r) client \(x.clientID)")
                #expect(x.metrics["eval:test_accuracy:sum"] == y.metrics["eval:test_accuracy:sum"])
            }
        }
        #expect(mixed.privateStates[1]?["model"] == local.privateStates[1]?["model"])
    }

    /// Claim 5: α = 1 adopts the global head outright (local message passing + FedAvg head).
    @Test func interpWithAlphaOne_adoptsTheGlobalHead() throws {
        let algorithm = try asfgnn { $0.fixedAlpha = 1 }
        var driver = GraphDriver(algorithm: algorithm, model: GraphDriver.model())
        try driver.round(1)
        try driver.round(2)
        let global = algorithm.layout.gather(.shared, from: driver.state.parameters)
        let client = driver.clients[0]
        let model = try GraphClientModel(privateState: driver.privateStates[0]!, context: ClientContext(
            model: driver.model, data: DatasetShard(all: Dataset(features: [], labels: [], dimension: 1, classCount: 2)),
            rng: RNGStream(seed: 0, purpose: .custom), workspace: driver.model.makeWorkspace(batchCapacity: 1)),
            settings: GraphLocalSettings()) { [] }
        let localHead = driver.privateStates[0]!["local_head"]!
        #expect(localHead != global)
        let (head, alpha) = algorithm.jsStep(local: localHead, global: global, distribution: nil, client: model, graph: client)
        #expect(alpha == 1 && head == global)
        // And the head the next round's evaluation reports is that global head on the client's own convolutions.
        var withGlobal = model.parameters
        algorithm.layout.scatter(.shared, global, into: &withGlobal)
        let expected = client.network.evaluate(parameters: withGlobal, inputs: client.inputs, nodes: client.test, workspace: client.workspace)
        let reported = try driver.round(3, evaluateOnly: true)[0].metrics
        #expect(reported["eval:test_accuracy:sum"] == expected.accuracy * Double(client.test.count))
    }

    @Test func labelDistributionWeight_isOneMinusJSOverLn2_andUpdatesCarryOnlyTheHeadAndHistogram() throws {
        let algorithm = try asfgnn()
        var driver = GraphDriver(algorithm: algorithm, model: GraphDriver.model())
        let first = try driver.round(1)
        #expect(first.allSatisfy { Set($0.tensors.map(\.name)) == ["head.weight", "head.bias", "class_histogram"] })
        let histograms = driver.clients.map(\.trainHistogram)
        let totals = (0..<3).map { c in Double(histograms.map { $0[c] }.reduce(0, +)) }
        let overall = totals.map { $0 / totals.reduce(0, +) }
        let second = try driver.round(2)
        for (i, update) in second.enumerated() {
            let own = histograms[i].map { Double($0) / Double(driver.clients[i].train.count) }
            let expected = 1 - HeadDivergence.jensenShannon(own, overall) / log(2)
            #expect(abs((update.metrics["alpha"] ?? -1) - expected) < 1e-6, "client \(i)")
        }
    }

    @Test func degreeDistributionWeight_usesTheSubgraphsDegreeBuckets() throws {
        let algorithm = try asfgnn { $0.jsSource = .degreeDistribution }
        var driver = GraphDriver(algorithm: algorithm, model: GraphDriver.model())
        let first = try driver.round(1)
        #expect(first.allSatisfy { Set($0.tensors.map(\.name)) == ["head.weight", "head.bias", "degree_histogram"] })
        // The chain v - v+3 gives the first and last three nodes degree 1 and the rest degree 2.
        let client = driver.clients[0]
        #expect(client.degreeHistogram == [0, 6, client.inputs.nodeCount - 6, 0, 0, 0, 0])
        let histograms = driver.clients.map(\.degreeHistogram)
        let totals = (0..<7).map { b in Double(histograms.map { $0[b] }.reduce(0, +)) }
        let overall = totals.map { $0 / totals.reduce(0, +) }
        for (i, update) in try driver.round(2).enumerated() {
            let own = histograms[i].map { Double($0) / Double(driver.clients[i].inputs.nodeCount) }
            let expected = 1 - HeadDivergence.jensenShannon(own, overall) / log(2)
            #expect(abs((update.metrics["alpha"] ?? -1) - expected) < 1e-6, "client \(i)")
        }
    }

    @Test func distillMode_learnsAndEvaluationOnlyTasksKeepPrivateState() throws {
        let algorithm = try asfgnn { $0.mode = .distill; $0.mu = 1; $0.jsSteps = 3 }
        var driver = GraphDriver(algorithm: algorithm, model: GraphDriver.model())
        var losses = [Double]()
        for r in 1...30 { losses.append(Aggregation.weightedMetric("train_loss", in: try driver.round(r))) }
        #expect(losses.last! < losses.first! * 0.7, "\(losses.first!) -> \(losses.last!)")
        let saved = driver.privateStates
        let evaluation = try driver.round(31, evaluateOnly: true)
        #expect(evaluation.allSatisfy { $0.tensors.isEmpty && $0.metrics["eval:test_accuracy:count"] != nil })
        #expect(driver.privateStates == saved)
        let accuracy = ClientEvaluation.combine(evaluation.map(\.metrics))["test_accuracy"] ?? 0
        #expect(accuracy > 0.6, "\(accuracy)")
    }

    @Test func fedavgVariant_sendsEveryTensor_andAveragesByTrainingNodes() throws {
        let model = GraphDriver.model()
        let algorithm = GraphFedAvg(variant: .fedavg, local: GraphLocalSettings(learningRate: 0.05), modelLayout: model.layout)
        var driver = GraphDriver(algorithm: algorithm, model: model)
        let updates = try driver.round(1)
        #expect(updates.allSatisfy { $0.tensors.map(\.name) == model.layout.entries.map(\.name) })
        let flats = updates.map { try! model.layout.flatten($0.tensors) }
        let weights = updates.map { Double($0.numSamples) }
        for i in [0, 17, model.layout.totalCount - 1] {
            let expected = zip(flats, weights).map { Double($0[i]) * $1 }.reduce(0, +) / weights.reduce(0, +)
            #expect(abs(Double(driver.state.parameters[i]) - expected) < 1e-6)
        }
    }

    @Test func asfgnn_refusesAModelWithoutAHead() {
        #expect(throws: AlgorithmError.self) { try ASFGNN(settings: ASFGNN.Settings(), model: GraphDriver.model(head: false)) }
    }

    @Test func clientEvaluation_weighsByCountsAndFlagsImpossibleReports() {
        var a = [String: Double](), b = [String: Double]()
        ClientEvaluation.report("test_accuracy", mean: 0.5, count: 10, into: &a)
        ClientEvaluation.report("test_accuracy", mean: 1.0, count: 30, into: &b)
        let combined = ClientEvaluation.combine([a, b])
        #expect(combined["test_accuracy"] == 35.0 / 40 && combined["test_accuracy_count"] == 40)
        #expect(ClientEvaluation.problem(in: a) == nil)
        #expect(ClientEvaluation.problem(in: ["eval:test_accuracy:sum": 11, "eval:test_accuracy:count": 10]) != nil)
        #expect(ClientEvaluation.problem(in: ["eval:test_accuracy:sum": 1, "eval:test_accuracy:count": 2.5]) != nil)
        #expect(ClientEvaluation.problem(in: ["eval:test_accuracy:count": 4]) != nil)
    }
}
