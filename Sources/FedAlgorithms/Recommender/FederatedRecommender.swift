import FedCore
import FedModels

/// Federated recommendation with one user per client (spec §5.2, the FedMF/FCF setup): user rows
/// and their Adam moments never leave the client's worker; item rows and any shared network weights
/// are aggregated by the server.
///
/// Each round the server sends every sampled client the rows it will train (its positives and the
/// round's negatives, as sparse rows) or the whole item tables (`item_download: all`), plus the
/// shared weights; the client runs E local epochs and returns the deltas of those rows (sparse) and
/// of the shared weights. The server adds each item row's summed delta under `item_rule` and the
/// sample-weighted mean delta of each shared weight. Every `eval_every` rounds the tasks carry the
/// whole item tables and each client reports its protocol metrics on the model it received (so the
/// row of round r − 1 describes the state after it); an evaluation-only exchange covers the end.
public struct FederatedRecommender: StarAlgorithm {
    public let settings: RecommenderSettings
    /// The model layout with the recommender roles (user tables private, item tables as rows).
    public let layout: ParameterLayout
    let model: RecommenderModel

    /// Config key of a task whose client also reports its evaluation before training.
    public static let evaluateKey = "evaluate"

    public init(model: RecommenderModel, settings: RecommenderSettings) {
        self.model = model
        self.settings = settings
        layout = model.layout
    }

    public init(section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) {
        guard let recommender = model as? RecommenderModel else {
            throw section.error("name", "fedrec trains a recommender model (bpr_mf, ncf)")
        }
        guard recommender.network.hasFederatedForm else {
            throw section.error("name", "\(recommender.network.kind) propagates over every user's interactions and has no federated form "
                                + "(LightGCN has one for layers ≤ 2): train it with `fedsim central`, or federate bpr_mf, ncf or lightgcn")
        }
        let pointwise: Bool
        if case .neuralCF = recommender.network { pointwise = true } else { pointwise = false }
        self.init(model: recommender, settings: try RecommenderSettings(section: section, defaultNegatives: pointwise ? 4 : 1))
    }

    public var name: String { "fedrec" }
    public var settingsSummary: [(key: String, value: String)] { settings.summary }
    public var batchCapacity: Int { 1 }
    public var keepsPrivateState: Bool { true }
    public var metricNames: [String] { ["dense_bytes_down", "dense_bytes_up", "touched_items", "data_epochs"] }

    /// `ServerState.extras` key of the epochs of data the run has trained on (checkpointed with it).
    static let dataEpochsKey = "fedrec.data_epochs"

    public func initialState(parameters: [Float]) -> ServerState {
        ServerState(parameters: parameters, extras: lightGCNLayers == nil ? [:] : initialAggregates(parameters))
    }

    public func updateLayout(modelLayout: ParameterLayout) -> ParameterLayout { withAggregates(layout.part(.shared)) }
    public func updateLayout(modelLayout: ParameterLayout, phase: String) -> ParameterLayout {
        phase == ClientEvaluation.phase ? ParameterLayout([]) : updateLayout(modelLayout: modelLayout)
    }

    /// Whether round `round`'s clients report their evaluation (of the state after round − 1).
    func evaluates(round: Int) -> Bool { round > 1 && (round - 1) % settings.evaluateEvery == 0 }

    public func configureRound(round: Int, clients: [Int], state: ServerState) -> RoundPlan {
        let evaluate = evaluates(round: round)
        let whole = settings.itemDownload == .all || evaluate
        let wholeShared = whole ? wholeTables(state) : []
        return RoundPlan(tasks: clients.map { client in
            let tensors = whole ? wholeShared : rowsTask(client: client, round: round, state: state)
            return ClientTask(clientID: client, tensors: tensors, config: evaluate ? [Self.evaluateKey: 1] : [:])
        })
    }

    /// The shared tensors a client needs: its rows of each item table, every other shared tensor whole.
    func rowsTask(client: Int, round: Int, state: ServerState) -> [NamedTensor] {
        let items = model.data.neededItems(of: client, round: round, seed: model.data.seed, epochs: settings.localEpochs,
                                           perPositive: settings.negatives)
        let tensors = state.parameters.withUnsafeBufferPointer { flat in
            layout.entries.filter { $0.role == .shared }.map { entry in
                let values = UnsafeBufferPointer(rebasing: flat[entry.offset..<(entry.offset + entry.count)])
                if entry.travelsAsRows { return NamedTensor(name: entry.name, rows: items, of: values, width: entry.count / entry.shape[0]) }
                return NamedTensor(name: entry.name, shape: entry.shape, values: Array(values))
            }
        }
        return lightGCNLayers == nil ? tensors : tensors + aggregateTensors(state, items: items)
    }

    /// Every shared tensor whole (and LightGCN's aggregates): what evaluating clients need.
    func wholeTables(_ state: ServerState) -> [NamedTensor] {
        let shared = layout.part(.shared).split(layout.gather(.shared, from: state.parameters))
        return lightGCNLayers == nil ? shared : shared + aggregateTensors(state, items: nil)
    }

    /// The evaluation-only exchange after the last round: whole item tables to every client.
    public func evaluationPlan(round: Int, clients: [Int], state: ServerState) -> RoundPlan? {
        let shared = wholeTables(state)
        return RoundPlan(phase: ClientEvaluation.phase, tasks: clients.map {
            ClientTask(clientID: $0, tensors: shared, config: [ClientEvaluation.evaluateOnlyKey: 1])
        })
    }

    public func aggregate(round: Int, state: ServerState, updates: [ClientUpdate], failures: [Int]) -> RoundResult {
        var next = state
        // Whole tables: the shared tensors, and LightGCN's two aggregates beside them.
        let sharedCount = Double(layout.count(of: .shared) + (lightGCNLayers == nil ? 0 : 2 * model.data.itemCount * embeddingWidth))
        var metrics = ["train_loss": Aggregation.weightedMetric("train_loss", in: updates),
                       "dense_bytes_up": Double(updates.count) * sharedCount * 4,
                       "dense_bytes_down": Double(updates.count + failures.count) * sharedCount * 4]
        // Epochs of data so far: each accepted update is E passes over one user's positives.
        let samples = Double(updates.reduce(0) { $0 + $1.numSamples }), all = Double(max(model.data.training.count, 1))
        let epochs = (state.extras[Self.dataEpochsKey]?.first).map(Double.init) ?? 0
        next.extras[Self.dataEpochsKey] = [Float(epochs + samples * Double(settings.localEpochs) / all)]
        metrics["data_epochs"] = Double(next.extras[Self.dataEpochsKey]?[0] ?? 0)
        guard !updates.isEmpty else { return RoundResult(state: next, metrics: metrics) }
        let totalSamples = updates.reduce(0.0) { $0 + Double($1.numSamples) }
        for entry in layout.entries where entry.role == .shared {
            // Client-id order (the runtime sorts the updates), so the sums do not depend on arrival.
            let tensors = updates.compactMap { update in update.tensors.first { $0.name == entry.name } }
            if entry.travelsAsRows {
                applyRows(tensors, entry: entry, participants: updates.count, to: &next.parameters)
            } else {
                var sum = [Double](repeating: 0, count: entry.count)
                for (update, tensor) in zip(updates, tensors) {
                    let weight = Double(update.numSamples) / totalSamples
                    for k in 0..<entry.count { sum[k] += weight * Double(tensor.values[k]) }
                }
                for k in 0..<entry.count { next.parameters[entry.offset + k] += Float(sum[k]) }
            }
        }
        metrics["touched_items"] = Double(Set(updates.flatMap { $0.tensors.first?.rowIDs ?? [] }).count)
        if lightGCNLayers != nil { applyAggregates(updates, to: &next) }
        return RoundResult(state: next, metrics: metrics)
    }

    /// Adds the clients' row deltas of one item table under `item_rule`.
    func applyRows(_ tensors: [NamedTensor], entry: ParameterLayout.Entry, participants: Int, to parameters: inout [Float]) {
        let width = entry.count / entry.shape[0]
        var sum = [Double](repeating: 0, count: entry.count)
        var touches = [Int](repeating: 0, count: entry.shape[0])
        for tensor in tensors {
            let ids = tensor.rowIDs ?? (0..<Int32(entry.shape[0])).map { $0 }
            for (row, id) in ids.enumerated() {
                touches[Int(id)] += 1
                for k in 0..<width { sum[Int(id) * width + k] += Double(tensor.values[row * width + k]) }
            }
        }
        for row in 0..<entry.shape[0] where touches[row] > 0 {
            let scale: Double
            switch settings.itemRule {
            case .meanAll: scale = 1 / Double(participants)
            case .meanTouched: scale = 1 / Double(touches[row])
            case .sum: scale = 1
            }
            for k in 0..<width { parameters[entry.offset + row * width + k] += Float(sum[row * width + k] * scale) }
        }
    }

    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        guard let model = context.model as? RecommenderModel else { throw AlgorithmError("fedrec needs a recommender model") }
        let user = task.clientID
        guard user >= 0, user < model.data.userCount else { throw AlgorithmError("client \(user) is not a user of the data set") }
        var client = try RecommenderClientModel(model: model, user: user, privateState: context.privateState, settings: settings,
                                                seed: context.seed)
        var shared = [String: NamedTensor]()
        for tensor in task.tensors { shared[tensor.name] = tensor }
        let samples = max(model.data.training.items(of: user).count, 1)
        var metrics = [String: Double]()
        if task.config[ClientEvaluation.evaluateOnlyKey] == 1 || task.config[Self.evaluateKey] == 1 {
            try client.report(into: &metrics) { (items: [Int32]) throws(AlgorithmError) -> [Float] in
                guard lightGCNLayers != nil else {
                    return model.localScores(parameters: try client.localParameters(items: items, shared: shared), items: items.count)
                }
                // The user's embedding needs its positives' rows besides the items scored.
                let rows = Array(Set(items).union(model.data.training.items(of: user))).sorted()
                guard let step = try lightGCNStep(client: client, items: rows, shared: shared) else { return [] }
                let scores = step.scores(try client.localParameters(items: rows, shared: shared), items: rows)
                var position = [Int32: Int](minimumCapacity: rows.count)
                for (row, item) in rows.enumerated() { position[item] = row }
                return items.map { scores[position[$0] ?? 0] }
            }
        }
        if task.config[ClientEvaluation.evaluateOnlyKey] == 1 {
            return ClientUpdate(clientID: user, numSamples: samples, tensors: [], metrics: metrics)
        }
        let negatives = model.data.negatives(of: user, round: context.round, seed: model.data.seed, epochs: settings.localEpochs,
                                             perPositive: settings.negatives)
        let items = model.data.neededItems(of: user, negatives: negatives)
        let before = try client.localParameters(items: items, shared: shared)
        let step = try lightGCNStep(client: client, items: items, shared: shared)
        let trained = client.train(items: items, negatives: negatives, start: before, settings: settings, rng: &context.rng) { batch, p, g in
            if let step { return step.lossAndGradient(batch, parameters: p, gradient: &g) }
            return model.localLossAndGradient(batch, items: items.count, parameters: p, gradient: &g)
        }
        metrics["train_loss"] = trained.loss
        var tensors = client.deltas(items: items, before: before, after: trained.parameters)
        if let step { tensors += try contributionDeltas(step, client: client, items: items, trained: trained.parameters, state: &context.privateState) }
        client.save(into: &context.privateState)
        return ClientUpdate(clientID: user, numSamples: samples, tensors: tensors, metrics: metrics)
    }
}
