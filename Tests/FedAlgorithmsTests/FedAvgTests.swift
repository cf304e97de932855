import FedAlgorithms
import FedCore
import FedModels
import FedTestSupport
import Testing

private typealias F = AlgorithmFixtures

/// An update from `client` whose flat parameters are `flat`.
private func update(_ client: Int, samples: Int, flat: [Float], loss: Double) -> ClientUpdate {
    ClientUpdate(clientID: client, numSamples: samples, tensors: F.model.layout.split(flat), metrics: ["train_loss": loss])
}

@Suite struct FedAvgTests {
    static let fedavg = FedAvg(local: F.settings(), layout: F.model.layout)

    @Test func initialState_holdsTheGivenParameters() {
        let parameters = F.initialParameters()
        let state = Self.fedavg.initialState(parameters: parameters)
        #expect(state.parameters == parameters)
        #expect(state.extras.isEmpty)
    }

    @Test func configureRound_givesOneTaskPerClientCarryingTheModel() throws {
        let state = Self.fedavg.initialState(parameters: F.initialParameters())
        let plan = Self.fedavg.configureRound(round: 3, clients: [2, 7, 11], state: state)
        #expect(plan.tasks.map(\.clientID) == [2, 7, 11])
        #expect(plan.phase == "")
        for task in plan.tasks {
            #expect(task.tensors.map(\.name) == F.model.layout.entries.map(\.name), "client \(task.clientID)")
            #expect(task.tensors.map(\.shape) == F.model.layout.entries.map(\.shape), "client \(task.clientID)")
            #expect(try F.model.layout.flatten(task.tensors) == state.parameters, "client \(task.clientID)")
        }
    }

    @Test func aggregate_sortedUpdates_equalsHandWeightedMean() {
        let n = F.model.layout.totalCount
        let state = Self.fedavg.initialState(parameters: [Float](repeating: 0, count: n))
        // Client k sends base_k + i/8 at index i; weights 10, 30, 60 out of 100.
        let bases: [Float] = [1, -2, 4]
        let samples = [10, 30, 60]
        let updates = [2, 5, 9].enumerated().map { k, client in
            update(client, samples: samples[k], flat: (0..<n).map { bases[k] + Float($0) / 8 }, loss: Double(k + 1))
        }
        let result = Self.fedavg.aggregate(round: 1, state: state, updates: updates, failures: [])
        // 0.1·1 + 0.3·(−2) + 0.6·4 = 1.9, plus i/8 since the weights sum to one.
        for i in 0..<n {
            #expect(abs(Double(result.state.parameters[i]) - (1.9 + Double(i) / 8)) < 1e-6, "parameter \(i)")
        }
        // train_loss: 0.1·1 + 0.3·2 + 0.6·3 = 2.5.
        #expect(abs(result.metrics["train_loss"]! - 2.5) < 1e-12)
    }

    @Test func aggregate_shuffledThenSortedByClientID_isBitIdentical() {
        let n = F.model.layout.totalCount
        var rng = RNGStream(seed: 8, purpose: .custom)
        let updates = [1, 3, 4, 8, 12, 13, 20, 31, 40, 41].map { client in
            update(client, samples: 1 + rng.nextInt(below: 100), flat: Numerics.gaussianFloats(count: n, rng: &rng),
                   loss: rng.nextUnitDouble())
        }
        let state = Self.fedavg.initialState(parameters: [Float](repeating: 0, count: n))
        let reference = Self.fedavg.aggregate(round: 1, state: state, updates: updates, failures: [])
        for seed: UInt64 in 1...10 {
            var order = RNGStream(seed: seed, purpose: .sampling)
            var shuffled = updates
            order.shuffle(&shuffled)
            let result = Self.fedavg.aggregate(round: 1, state: state, updates: shuffled.sorted { $0.clientID < $1.clientID },
                                               failures: [])
            #expect(result.state.parameters.map(\.bitPattern) == reference.state.parameters.map(\.bitPattern), "seed \(seed)")
            #expect(result.metrics["train_loss"]!.bitPattern == reference.metrics["train_loss"]!.bitPattern, "seed \(seed)")
        }
    }

    @Test func aggregate_withNoUpdates_keepsStateAndReportsNaNLoss() {
        let state = Self.fedavg.initialState(parameters: F.initialParameters())
        let result = Self.fedavg.aggregate(round: 1, state: state, updates: [], failures: [1, 2])
        #expect(result.state.parameters == state.parameters)
        #expect(result.metrics["train_loss"]!.isNaN)
    }

    @Test func train_returnsLocallyTrainedModelWithSampleCountAndMetrics() throws {
        let state = Self.fedavg.initialState(parameters: F.initialParameters())
        let task = Self.fedavg.configureRound(round: 1, clients: [4], state: state).tasks[0]
        var context = F.context(client: 4, indices: Array(0..<20))
        let result = try Self.fedavg.train(task: task, context: &context)
        #expect(result.clientID == 4)
        #expect(result.numSamples == 20)
        // 20 examples in batches of 8 for 2 epochs: 3 steps per epoch.
        #expect(result.metrics["steps"] == 6)
        #expect(result.metrics["train_loss"]?.isFinite == true)
        let trained = try F.model.layout.flatten(result.tensors)
        #expect(trained != state.parameters)
        // The update equals running LocalTrainer directly with the same stream.
        var direct = state.parameters
        var rng = F.context(client: 4).rng
        _ = LocalTrainer.train(model: F.model, parameters: &direct, data: DatasetShard(base: F.data, indices: Array(0..<20)),
                               settings: F.settings(), rng: &rng, workspace: F.model.makeWorkspace(batchCapacity: 8))
        #expect(trained == direct)
    }

    @Test(arguments: ["transposed", "missing", "renamed"])
    func train_withTaskNotMatchingModelLayout_throwsAlgorithmError(defect: String) {
        var tensors = F.model.layout.split(F.initialParameters())
        switch defect {
        case "transposed": tensors[0] = NamedTensor(name: tensors[0].name, shape: tensors[0].shape.reversed(), values: tensors[0].values)
        case "missing": tensors.removeLast()
        default: tensors[1].name = "layer0.offset"
        }
        var context = F.context(client: 1)
        #expect(throws: AlgorithmError.self) { try Self.fedavg.train(task: ClientTask(clientID: 1, tensors: tensors), context: &context) }
    }
}

@Suite struct FedProxTests {
    @Test func train_withMuZero_isBitIdenticalToFedAvg() throws {
        let fedavg = FedAvg(local: F.settings(epochs: 3), layout: F.model.layout)
        let fedprox = FedProx(local: F.settings(epochs: 3), mu: 0, layout: F.model.layout)
        let state = fedavg.initialState(parameters: F.initialParameters())
        let task = fedavg.configureRound(round: 2, clients: [6], state: state).tasks[0]
        var avgContext = F.context(client: 6, round: 2), proxContext = F.context(client: 6, round: 2)
        let avg = try fedavg.train(task: task, context: &avgContext)
        let prox = try fedprox.train(task: task, context: &proxContext)
        #expect(avg == prox)
        let bits = { (u: ClientUpdate) in u.tensors.flatMap { $0.values.map(\.bitPattern) } }
        #expect(bits(avg) == bits(prox))
    }

    @Test func train_withPositiveMu_endsCloserToTheGlobalModelThanFedAvg() throws {
        let anchor = F.initialParameters()
        let task = ClientTask(clientID: 3, tensors: F.model.layout.split(anchor))
        var distances = [Double]()
        for mu: Float in [0, 0.1, 1, 5] {
            let algorithm = FedProx(local: F.settings(epochs: 5, lr: 0.1), mu: mu, layout: F.model.layout)
            var context = F.context(client: 3)
            let result = try algorithm.train(task: task, context: &context)
            distances.append(Numerics.distance(try F.model.layout.flatten(result.tensors), anchor))
        }
        #expect(distances[0] > 0)
        #expect(zip(distances, distances.dropFirst()).allSatisfy { $0 > $1 }, "distances by mu 0, 0.1, 1, 5: \(distances)")
    }

    @Test func aggregate_isTheSameSampleWeightedAverageAsFedAvg() {
        let n = F.model.layout.totalCount
        var rng = RNGStream(seed: 2, purpose: .custom)
        let updates = [1, 2, 3].map { update($0, samples: $0 * 7, flat: Numerics.gaussianFloats(count: n, rng: &rng), loss: 1) }
        let state = ServerState(parameters: [Float](repeating: 0, count: n))
        let prox = FedProx(local: F.settings(), mu: 0.5, layout: F.model.layout).aggregate(round: 1, state: state, updates: updates, failures: [])
        let avg = FedAvg(local: F.settings(), layout: F.model.layout).aggregate(round: 1, state: state, updates: updates, failures: [])
        #expect(prox.state == avg.state)
    }
}
