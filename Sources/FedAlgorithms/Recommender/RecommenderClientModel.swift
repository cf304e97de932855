import FedCore
import FedModels

/// One user's model on its client: the private user rows with their Adam moments (kept in private
/// state between rounds) and, for one task, a local parameter buffer over the item rows the client
/// holds (spec §5.2: Adam on p_u, SGD with η_c on the rows of Q it touches).
struct RecommenderClientModel {
    let model: RecommenderModel
    let user: Int
    /// The user-table rows, table after table in model order (the layout of the local private part).
    var userRows: [Float]
    var adam: Adam

    static let userKey = "user", firstMomentKey = "adam.m", secondMomentKey = "adam.v", stepsKey = "adam.steps"

    /// The client's saved rows, or (first task) its rows of the run's initial parameters, which every
    /// process draws identically from the seed, so nothing private ever travels.
    init(model: RecommenderModel, user: Int, privateState: ClientState, settings: RecommenderSettings,
         seed: UInt64) throws(AlgorithmError) {
        self.model = model
        self.user = user
        let optimizer = Adam.Settings(learningRate: Float(settings.userLearningRate))
        let width = model.localLayout(items: 1).count(of: .private)
        guard let saved = privateState[Self.userKey] else {
            let initial = model.initialParameters(seed: seed)
            userRows = []
            for entry in model.layout.entries where entry.role == .private {
                let rowWidth = entry.count / entry.shape[0]
                userRows += initial[(entry.offset + user * rowWidth)..<(entry.offset + (user + 1) * rowWidth)]
            }
            adam = Adam(settings: optimizer, parameterCount: width)
            return
        }
        guard saved.count == width, privateState[Self.firstMomentKey]?.count == width,
              privateState[Self.secondMomentKey]?.count == width, let steps = privateState[Self.stepsKey]?.first, steps >= 0 else {
            throw AlgorithmError("the client's private state does not fit this model (\(saved.count) user values, expected \(width))")
        }
        userRows = saved
        adam = Adam(settings: optimizer, firstMoment: privateState[Self.firstMomentKey] ?? [],
                    secondMoment: privateState[Self.secondMomentKey] ?? [], stepCount: Int(steps))
    }

    func save(into state: inout ClientState) {
        state[Self.userKey] = userRows
        state[Self.firstMomentKey] = adam.firstMoment
        state[Self.secondMomentKey] = adam.secondMoment
        state[Self.stepsKey] = [Float(adam.stepCount)]
    }

    /// The local buffer over `items` (ascending global ids): the user rows, those rows of each item
    /// table (from `shared`, the task's tensors by name, whole tables or sparse rows) and the dense
    /// shared weights.
    func localParameters(items: [Int32], shared: [String: NamedTensor]) throws(AlgorithmError) -> [Float] {
        let local = model.localLayout(items: items.count)
        var parameters = [Float](repeating: 0, count: local.totalCount)
        local.scatter(.private, userRows, into: &parameters)
        for entry in local.entries where entry.role == .shared {
            guard let tensor = shared[entry.name] else { throw AlgorithmError("task: tensor '\(entry.name)' is missing") }
            if entry.travelsAsRows {
                let width = entry.count / entry.shape[0]
                let rowOf = try Self.rowIndex(tensor, table: entry.name, needs: items)
                for (localRow, item) in items.enumerated() {
                    let source = rowOf(item) * width
                    for k in 0..<width { parameters[entry.offset + localRow * width + k] = tensor.values[source + k] }
                }
            } else {
                guard tensor.rowIDs == nil, tensor.values.count == entry.count else {
                    throw AlgorithmError("task: tensor '\(entry.name)' has shape \(tensor.shape), expected \(entry.shape)")
                }
                for k in 0..<entry.count { parameters[entry.offset + k] = tensor.values[k] }
            }
        }
        return parameters
    }

    /// Where each needed item's row sits in `tensor` (a whole table, or sparse rows that must include it).
    static func rowIndex(_ tensor: NamedTensor, table: String, needs items: [Int32]) throws(AlgorithmError) -> (Int32) -> Int {
        guard let ids = tensor.rowIDs else { return { Int($0) } }
        var position = [Int32: Int](minimumCapacity: ids.count)
        for (row, id) in ids.enumerated() { position[id] = row }
        if let missing = items.first(where: { position[$0] == nil }) {
            throw AlgorithmError("task: the rows of '\(table)' lack item \(missing), which this client trains")
        }
        return { position[$0] ?? 0 }
    }

    /// The protocol's metrics on this user's held-out items, as an evaluation report; `scores` gives the
    /// received model's scores of the items it is handed (ascending ids).
    func report(into metrics: inout [String: Double], scores: ([Int32]) throws(AlgorithmError) -> [Float]) throws(AlgorithmError) {
        let data = model.data
        let names = data.evaluation.metricNames
        guard data.isEvaluated(user) else {
            for name in names { ClientEvaluation.report(name, mean: 0, count: 0, into: &metrics) }
            return
        }
        switch data.heldOut {
        case .allRanking(let test):
            let all = try scores((0..<data.itemCount).map(Int32.init))
            let result = all.withUnsafeBufferPointer {
                RankingMetrics.allRanking(scores: $0, excluded: Set(data.training.items(of: user)), relevant: Set(test.items(of: user)),
                                          k: data.evaluation.cutoff)
            }
            ClientEvaluation.report(names[0], mean: result?.recall ?? 0, count: 1, into: &metrics)
            ClientEvaluation.report(names[1], mean: result?.ndcg ?? 0, count: 1, into: &metrics)
        case .leaveOneOut(let testItem, let negatives):
            // The held-out item and its negatives, scored in ascending id order.
            let items = ([testItem[user]] + negatives[user]).sorted()
            let scored = try scores(items)
            let score = { (item: Int32) in scored[items.firstIndex(of: item) ?? 0] }
            let result = RankingMetrics.leaveOneOut(testScore: score(testItem[user]), negativeScores: negatives[user].map(score),
                                                    k: data.evaluation.cutoff)
            ClientEvaluation.report(names[0], mean: result.hit, count: 1, into: &metrics)
            ClientEvaluation.report(names[1], mean: result.ndcg, count: 1, into: &metrics)
        }
    }

    /// E epochs over the user's positives with the round's negatives: Adam on the user rows, SGD on
    /// the item rows and shared weights. Returns the new local buffer and the mean training loss.
    mutating func train(items: [Int32], negatives: [Int32], start: [Float], settings: RecommenderSettings, rng: inout RNGStream,
                        lossAndGradient: (ArraySlice<RecommenderModel.Positive>, [Float], inout [Float]) -> Float)
        -> (parameters: [Float], loss: Double) {
        let local = model.localLayout(items: items.count)
        let positives = model.data.training.items(of: user)
        var localIndex = [Int32: Int32](minimumCapacity: items.count)
        for (row, item) in items.enumerated() { localIndex[item] = Int32(row) }
        var parameters = start
        var gradient = [Float](repeating: 0, count: local.totalCount)
        let itemStep = Float(settings.itemLearningRate)
        var total = 0.0, counted = 0
        for epoch in 0..<settings.localEpochs {
            var units = [RecommenderModel.Positive]()
            units.reserveCapacity(positives.count)
            for (p, item) in positives.enumerated() {
                let first = (epoch * positives.count + p) * settings.negatives
                let drawn = negatives[first..<(first + settings.negatives)].map { localIndex[$0] ?? 0 }
                units.append(.init(item: localIndex[item] ?? 0, negatives: drawn))
            }
            rng.shuffle(&units)
            for begin in stride(from: 0, to: units.count, by: settings.batchSize) {
                for i in gradient.indices { gradient[i] = 0 }
                let batch = units[begin..<min(begin + settings.batchSize, units.count)]
                total += Double(lossAndGradient(batch, parameters, &gradient)) * Double(batch.count)
                counted += batch.count
                var rows = local.gather(.private, from: parameters)
                adam.step(parameters: &rows, gradient: local.gather(.private, from: gradient))
                for entry in local.entries where entry.role == .shared {
                    for i in entry.offset..<(entry.offset + entry.count) { parameters[i] -= itemStep * gradient[i] }
                }
                local.scatter(.private, rows, into: &parameters)
            }
        }
        userRows = local.gather(.private, from: parameters)
        return (parameters, total / Double(max(counted, 1)))
    }

    /// The upload: for each shared tensor of the local buffer, `after − before`, item tables as the
    /// sparse rows of `items` and dense weights whole.
    func deltas(items: [Int32], before: [Float], after: [Float]) -> [NamedTensor] {
        let local = model.localLayout(items: items.count)
        return local.entries.filter { $0.role == .shared }.map { entry in
            let delta = (entry.offset..<(entry.offset + entry.count)).map { after[$0] - before[$0] }
            if entry.travelsAsRows {
                return NamedTensor(name: entry.name, shape: entry.shape, values: delta, rowIDs: items)
            }
            return NamedTensor(name: entry.name, shape: entry.shape, values: delta)
        }
    }
}
