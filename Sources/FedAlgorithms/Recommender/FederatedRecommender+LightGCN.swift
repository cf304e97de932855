import FedCore
import FedModels

/// Federated LightGCN (spec §5.5, K = 1 or 2): besides the item rows, the server keeps the item
/// aggregates `M1_i = Σ_u p_u s_ui` and `M2_i = Σ_u e1_u s_ui` over every user, in `ServerState.extras`.
/// A client receives the aggregates' rows with its item rows, treats them as constants (one round
/// stale), and uploads how its own contributions changed since it last sent them: `(p_u − p_sent) s_ui`
/// and `(e1_u − e1_sent) s_ui` for each of its positives, which the server adds exactly. The server
/// thus holds the sum of every user's latest contributions without keeping any user's rows.
///
/// In plaintext the contribution deltas reveal the change of p_u and e1_u (scaled) to the server;
/// the spec accepts this leak or asks for secure aggregation, which is a separate runtime option.
extension FederatedRecommender {
    public static let aggregateNames = ["lightgcn.aggregate1", "lightgcn.aggregate2"]
    static let sentUserKey = "lightgcn.sent_user", sentFirstLayerKey = "lightgcn.sent_first_layer"

    /// K of a federated LightGCN model (nil for the models without aggregates, and for K = 0, BPR-MF).
    var lightGCNLayers: Int? {
        if case let .lightGCN(_, layers, _) = model.network, layers > 0 { return layers }
        return nil
    }

    var embeddingWidth: Int { model.layout.entry(named: "item_embedding")?.shape[1] ?? 0 }

    /// The aggregates of the initial parameters: what every user's first contributions add up to.
    func initialAggregates(_ parameters: [Float]) -> [String: [Float]] {
        let (data, d) = (model.data, embeddingWidth)
        let items = model.layout.entry(named: "item_embedding")?.offset ?? 0
        var m1 = [Float](repeating: 0, count: data.itemCount * d), m2 = m1
        for user in 0..<data.userCount {
            let positives = data.training.items(of: user), scales = data.propagationScales(of: user)
            var e1 = [Float](repeating: 0, count: d)
            for (item, s) in zip(positives, scales) { for k in 0..<d { e1[k] += parameters[items + Int(item) * d + k] * s } }
            for (item, s) in zip(positives, scales) {
                for k in 0..<d {
                    m1[Int(item) * d + k] += parameters[user * d + k] * s
                    m2[Int(item) * d + k] += e1[k] * s
                }
            }
        }
        return [Self.aggregateNames[0]: m1, Self.aggregateNames[1]: m2]
    }

    /// The aggregates' rows of `items` (sparse), or the whole aggregates when `items` is nil.
    func aggregateTensors(_ state: ServerState, items: [Int32]?) -> [NamedTensor] {
        let (rows, d) = (model.data.itemCount, embeddingWidth)
        return Self.aggregateNames.map { name in
            let values = state.extras[name] ?? [Float](repeating: 0, count: rows * d)
            guard let items else { return NamedTensor(name: name, shape: [rows, d], values: values) }
            return values.withUnsafeBufferPointer { NamedTensor(name: name, rows: items, of: $0, width: d) }
        }
    }

    /// The update layout's extra tables: each aggregate's rows.
    func withAggregates(_ layout: ParameterLayout) -> ParameterLayout {
        guard lightGCNLayers != nil else { return layout }
        let extra = Self.aggregateNames.map { (name: $0, shape: [model.data.itemCount, embeddingWidth]) }
        return ParameterLayout(layout.entries.map { (name: $0.name, shape: $0.shape) } + extra)
            .allowingRows(RecommenderModel.itemTables.union(Self.aggregateNames))
    }

    /// Adds the clients' contribution deltas to the aggregates (exactly: they are sums over users).
    func applyAggregates(_ updates: [ClientUpdate], to state: inout ServerState) {
        let d = embeddingWidth
        for name in Self.aggregateNames {
            guard var aggregate = state.extras[name] else { continue }
            for update in updates {
                guard let tensor = update.tensors.first(where: { $0.name == name }), let ids = tensor.rowIDs else { continue }
                for (row, id) in ids.enumerated() { for k in 0..<d { aggregate[Int(id) * d + k] += tensor.values[row * d + k] } }
            }
            state.extras[name] = aggregate
        }
    }

    /// The client's LightGCN step over local rows `items` (which hold its positives), or nil for the
    /// models without aggregates.
    func lightGCNStep(client: RecommenderClientModel, items: [Int32], shared: [String: NamedTensor])
        throws(AlgorithmError) -> FederatedLightGCNStep? {
        guard let layers = lightGCNLayers, case let .lightGCN(d, _, lambda) = model.network else { return nil }
        var local = [Int32: Int32](minimumCapacity: items.count)
        for (row, item) in items.enumerated() { local[item] = Int32(row) }
        let positives = model.data.training.items(of: client.user)
        guard positives.allSatisfy({ local[$0] != nil }) else { throw AlgorithmError("task: the item rows lack this user's positives") }
        var aggregates = [[Float]]()
        for name in Self.aggregateNames {
            guard let tensor = shared[name] else { throw AlgorithmError("task: tensor '\(name)' is missing") }
            let rowOf = try RecommenderClientModel.rowIndex(tensor, table: name, needs: items)
            var rows = [Float](repeating: 0, count: items.count * d)
            for (row, item) in items.enumerated() { for k in 0..<d { rows[row * d + k] = tensor.values[rowOf(item) * d + k] } }
            aggregates.append(rows)
        }
        return FederatedLightGCNStep(layers: layers, dimension: d, regularization: lambda, positives: positives.map { local[$0] ?? 0 },
                                     scales: model.data.propagationScales(of: client.user), aggregate1: aggregates[0], aggregate2: aggregates[1])
    }

    /// The upload's aggregate rows: the change of the user's contributions since it last sent them,
    /// for each of its positives; the sent values move on in its private state.
    func contributionDeltas(_ step: FederatedLightGCNStep, client: RecommenderClientModel, items: [Int32], trained: [Float],
                            state: inout ClientState) throws(AlgorithmError) -> [NamedTensor] {
        let d = step.dimension
        let positives = model.data.training.items(of: client.user).map { $0 }
        let (sentUser, sentFirst) = try sentContributions(client: client, state: state)
        let user = Array(trained[0..<d]), first = step.firstLayer(trained)
        var deltas = [[Float]](repeating: [Float](repeating: 0, count: positives.count * d), count: 2)
        for (row, s) in step.scales.enumerated() {
            for k in 0..<d {
                deltas[0][row * d + k] = (user[k] - sentUser[k]) * s
                deltas[1][row * d + k] = (first[k] - sentFirst[k]) * s
            }
        }
        state[Self.sentUserKey] = user
        state[Self.sentFirstLayerKey] = first
        return (0..<2).map { NamedTensor(name: Self.aggregateNames[$0], shape: [positives.count, d], values: deltas[$0], rowIDs: positives) }
    }

    /// What the client last contributed: saved, or (first task) its share of the initial aggregates.
    func sentContributions(client: RecommenderClientModel, state: ClientState) throws(AlgorithmError) -> (user: [Float], first: [Float]) {
        let d = embeddingWidth
        if let user = state[Self.sentUserKey], let first = state[Self.sentFirstLayerKey] {
            guard user.count == d, first.count == d else { throw AlgorithmError("the client's private state does not fit this model") }
            return (user, first)
        }
        let initial = model.initialParameters(seed: model.data.seed)
        let items = model.layout.entry(named: "item_embedding")?.offset ?? 0
        var first = [Float](repeating: 0, count: d)
        for (item, s) in zip(model.data.training.items(of: client.user), model.data.propagationScales(of: client.user)) {
            for k in 0..<d { first[k] += initial[items + Int(item) * d + k] * s }
        }
        return (Array(initial[(client.user * d)..<((client.user + 1) * d)]), first)
    }
}

extension FederatedLightGCNStep {
    /// The recommender loop's batch: one (positive, negative) pair per drawn negative.
    func lossAndGradient(_ batch: ArraySlice<RecommenderModel.Positive>, parameters: [Float], gradient: inout [Float]) -> Float {
        let pairs = batch.flatMap { positive in positive.negatives.map { (positive: positive.item, negative: $0) } }
        return lossAndGradient(pairs: pairs, parameters: parameters, gradient: &gradient)
    }

    /// e_u · e_i for every local row.
    func scores(_ parameters: [Float], items: [Int32]) -> [Float] {
        let user = userEmbedding(parameters)
        return items.indices.map { row in zip(user, itemEmbedding(row, parameters)).reduce(0) { $0 + $1.0 * $1.1 } }
    }
}
