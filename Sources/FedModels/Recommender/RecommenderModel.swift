import FedCore
import Synchronization

/// A recommender in the model catalogue (spec §5): the network, the interactions every process
/// builds, and the parameter roles of federated training (DESIGN §10) — user tables are private
/// (each row stays with its user's client), item tables are shared and travel as sparse rows, any
/// other weight (NCF's tower) is shared whole.
///
/// Recommenders are trained by the recommender algorithms only (the workload catalogue refuses any
/// other pairing), which train one user at a time through the *local* model: the same network for one
/// user and the k item rows that user's client holds, so the central model's gradient-checked passes
/// serve the clients unchanged. The row entry points of `DifferentiableModel` are never reached.
public struct RecommenderModel: ClientEvaluatedModel {
    public enum Network: Sendable, Equatable {
        /// BPR-MF: user and item embeddings of `dimension`, λ on the rows a triple touches.
        case matrixFactorization(dimension: Int, regularization: Float)
        /// NCF's GMF, MLP or NeuMF (pointwise BCE).
        case neuralCF(variant: NeuralCollaborativeFiltering.Variant, factors: Int, tower: [Int])
        /// LightGCN with K propagation layers over the user–item graph (trained centrally).
        case lightGCN(dimension: Int, layers: Int, regularization: Float)
        /// NGCF's code form with K layers of `dimension` (trained centrally).
        case ngcf(dimension: Int, layers: Int, regularization: Float, messageDropout: Float)

        public var kind: String {
            switch self {
            case .matrixFactorization: return "bpr_mf"
            case .neuralCF: return "ncf"
            case .lightGCN: return "lightgcn"
            case .ngcf: return "ngcf"
            }
        }

        /// Whether `fedrec` trains it. BPR-MF and NCF need only the user's rows and the item rows it
        /// touches; LightGCN with K ≤ 2 has the spec's federated form (server-side item aggregates);
        /// NGCF and deeper LightGCN propagate over every user's interactions and train centrally only.
        public var hasFederatedForm: Bool {
            switch self {
            case .matrixFactorization, .neuralCF: return true
            case .lightGCN(_, let layers, _): return layers <= 2
            case .ngcf: return false
            }
        }
    }

    /// The tables with one row per user (private) and per item (shared, sent as rows).
    public static let userTables: Set<String> = ["user_embedding", "user_gmf", "user_mlp"]
    public static let itemTables: Set<String> = ["item_embedding", "item_gmf", "item_mlp"]

    public let network: Network
    public let data: RecommenderData
    public let layout: ParameterLayout
    /// The run's initial parameters, drawn once per process and seed: every client's first task takes
    /// its user rows from them (a few hundred thousand draws, not worth repeating per user).
    let initialCache = InitialParameterCache()

    public init(network: Network, data: RecommenderData) {
        self.network = network
        self.data = data
        if case let .ngcf(d, layers, lambda, dropout) = network {
            layout = NGCF(training: data.training, widths: [Int](repeating: d, count: layers + 1), decay: lambda, messageDropout: dropout).layout
        } else {
            layout = Self.layout(network, users: data.userCount, items: data.itemCount)
        }
    }

    /// The network's layout for `users` and `items` rows, with the federated roles.
    static func layout(_ network: Network, users: Int, items: Int) -> ParameterLayout {
        let plain: ParameterLayout
        switch network {
        case .matrixFactorization(let d, _), .lightGCN(let d, _, _):
            plain = ParameterLayout([("user_embedding", [users, d]), ("item_embedding", [items, d])])
        case .neuralCF(let variant, let factors, let tower):
            plain = NeuralCollaborativeFiltering(variant: variant, userCount: users, itemCount: items, factors: factors, tower: tower).layout
        case .ngcf:
            preconditionFailure("an ngcf model's layout is its network's (RecommenderModel.init)")
        }
        return plain.assigningRoles { userTables.contains($0.name) ? .private : .shared }.allowingRows(itemTables)
    }

    /// The layout of one user's model over `items` item rows (what a client trains).
    public func localLayout(items: Int) -> ParameterLayout { Self.layout(network, users: 1, items: items) }

    public var inputDimension: Int { 0 }
    public var classCount: Int { 2 }

    /// BPR-MF: N(0, 0.1²) users then items (spec §5.2); NCF: its own initialiser.
    public func initialParameters(rng: inout RNGStream) -> [Float] {
        switch network {
        case .matrixFactorization(let d, let lambda), .lightGCN(let d, _, let lambda):
            let factors = BPRMatrixFactorization(userCount: data.userCount, itemCount: data.itemCount, dimension: d, regularization: lambda)
                .initialFactors(rng: &rng)
            return factors.users + factors.items
        case .neuralCF(let variant, let factors, let tower):
            return NeuralCollaborativeFiltering(variant: variant, userCount: data.userCount, itemCount: data.itemCount,
                                                factors: factors, tower: tower).initialParameters(rng: &rng)
        case .ngcf:
            return ngcfNetwork.initialParameters(rng: &rng)
        }
    }

    /// The NGCF network of an `ngcf` model over the training interactions.
    var ngcfNetwork: NGCF {
        guard case let .ngcf(d, layers, lambda, dropout) = network else { preconditionFailure("not an ngcf model") }
        return NGCF(training: data.training, widths: [Int](repeating: d, count: layers + 1), decay: lambda, messageDropout: dropout)
    }

    /// The initial parameters of `seed` (drawn from the `parameterInit` stream, as every process does).
    public func initialParameters(seed: UInt64) -> [Float] {
        initialCache.parameters(seed: seed) {
            var rng = RNGStream(seed: seed, purpose: .parameterInit)
            return initialParameters(rng: &rng)
        }
    }

    /// One training positive of the local user with the negatives drawn for it (local item indices).
    public struct Positive: Sendable, Equatable {
        public let item: Int32
        public let negatives: [Int32]
        public init(item: Int32, negatives: [Int32]) {
            self.item = item
            self.negatives = negatives
        }
    }

    /// The local model's mean loss over `batch` and its gradient (added into `gradient`, the local
    /// layout over `items` rows): BPR-MF takes one triple per (positive, negative), NCF one positive
    /// example and one negative example per drawn negative.
    public func localLossAndGradient(_ batch: ArraySlice<Positive>, items: Int, parameters: [Float], gradient: inout [Float]) -> Float {
        switch network {
        case .matrixFactorization(let d, let lambda), .lightGCN(let d, 0, let lambda):
            let model = BPRMatrixFactorization(userCount: 1, itemCount: items, dimension: d, regularization: lambda)
            let triples = batch.flatMap { positive in
                positive.negatives.map { BPRMatrixFactorization.Triple(user: 0, positive: positive.item, negative: $0) }
            }
            return parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    model.lossAndGradient(triples: triples, users: UnsafeBufferPointer(rebasing: p[0..<d]),
                                          items: UnsafeBufferPointer(rebasing: p[d...]),
                                          userGradient: UnsafeMutableBufferPointer(rebasing: g[0..<d]),
                                          itemGradient: UnsafeMutableBufferPointer(rebasing: g[d...]))
                }
            }
        case .neuralCF(let variant, let factors, let tower):
            let model = NeuralCollaborativeFiltering(variant: variant, userCount: 1, itemCount: items, factors: factors, tower: tower)
            var examples = [NeuralCollaborativeFiltering.Example]()
            for positive in batch {
                examples.append(.init(user: 0, item: positive.item, label: 1))
                for negative in positive.negatives { examples.append(.init(user: 0, item: negative, label: 0)) }
            }
            return model.lossAndGradient(examples: examples, parameters: parameters, gradient: &gradient)
        case .lightGCN, .ngcf:
            preconditionFailure("\(network.kind) with layers needs its aggregates (FederatedLightGCNStep) or trains centrally")
        }
    }

    /// The local user's score of each of the `items` local rows.
    public func localScores(parameters: [Float], items: Int) -> [Float] {
        switch network {
        case .matrixFactorization(let d, let lambda), .lightGCN(let d, 0, let lambda):
            var scores = [Float](repeating: 0, count: items)
            let model = BPRMatrixFactorization(userCount: 1, itemCount: items, dimension: d, regularization: lambda)
            model.scores(user: 0, users: Array(parameters[0..<d]), items: Array(parameters[d...]), into: &scores)
            return scores
        case .neuralCF(let variant, let factors, let tower):
            let model = NeuralCollaborativeFiltering(variant: variant, userCount: 1, itemCount: items, factors: factors, tower: tower)
            return (0..<items).map { model.predict(user: 0, item: $0, parameters: parameters) }
        case .lightGCN, .ngcf:
            preconditionFailure("\(network.kind) with layers needs its aggregates (FederatedLightGCNStep) or trains centrally")
        }
    }

    /// The protocol's metrics and the number of users they average over (filled by the clients' reports).
    public var evaluationMetricNames: [String] { data.evaluation.metricNames + ["test_users"] }
    public var headlineMetric: (name: String, logarithmic: Bool) { (data.evaluation.metricNames[0], false) }
    public var clientEvaluationCountColumn: (column: String, metric: String)? { ("test_users", data.evaluation.metricNames[0]) }
}

/// Initial parameters by seed, shared by the clients a process hosts.
final class InitialParameterCache: Sendable {
    private let drawn = Mutex<[UInt64: [Float]]>([:])

    func parameters(seed: UInt64, draw: () -> [Float]) -> [Float] {
        if let cached = drawn.withLock({ $0[seed] }) { return cached }
        let parameters = draw()
        drawn.withLock { $0[seed] = parameters }
        return parameters
    }
}
