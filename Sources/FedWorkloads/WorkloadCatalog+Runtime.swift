import FedCore
import FedAlgorithms
import FedModels

/// The problem every peer of a decentralized run solves (today: a bilevel problem).
public typealias PeerProblem = BilevelProblem

/// What the runtime asks the catalogue about a workload's maths, so that it names none itself.
extension WorkloadCatalog {
    /// A tiny model of `kind`'s family, for checking an algorithm's settings and its pairing with the
    /// model before any data is loaded.
    public static func standInModel(_ spec: ModelCatalog.Spec) -> any DifferentiableModel {
        if ModelCatalog.graphKinds.contains(spec.kind) { return ModelCatalog.make(spec, inputDimension: 1, classCount: 2) }
        if ModelCatalog.recommenderKinds.contains(spec.kind) {
            let pairs: [(user: Int, item: Int, timestamp: Int64)] = [(0, 0, 0), (0, 1, 1), (1, 1, 0), (1, 2, 1)]
            let tiny = InteractionSet(userCount: 2, itemCount: 3, pairs: pairs)
            return RecommenderModel(network: spec.recommender, data: RecommenderData(splitting: tiny, evaluation: .allRanking, seed: 0))
        }
        if ModelCatalog.adapterKinds.contains(spec.kind) {
            var tiny = spec.adapter
            tiny.hidden = 2
            return tiny.network(kind: spec.kind, inputs: 2, classes: 2)
        }
        return ModelCatalog.bilevelKinds.contains(spec.kind) ? QuadraticBilevelModel(upper: 1, lower: 1)
            : MLP(inputDimension: 1, hidden: [], classCount: 2)
    }

    /// Why `algorithm` cannot train `model` (of `kind`), or nil when it can.
    public static func pairingProblem(model: any DifferentiableModel, kind: String, algorithm: any StarAlgorithm) -> String? {
        if model is any BilevelProblem && !(algorithm is any BilevelAlgorithm) {
            return "\(kind) is a bilevel problem: use fedmbo, fednest or lfednest"
        }
        if (model is RecommenderModel) != (algorithm is FederatedRecommender) {
            return model is RecommenderModel ? "\(kind) trains one user per client: use fedrec"
                : "\(algorithm.name) trains a recommender model (bpr_mf, ncf) on an interaction data set"
        }
        if model.layout.hasLocalTensors && !(model is GraphModel) && !(model is RecommenderModel)
            && !(algorithm is FedAvg || algorithm is FedProx) {
            // Only these send the shared part alone and keep private tensors on the worker.
            return "\(kind) has frozen or private tensors that must not travel: use fedavg or fedprox"
        }
        if (model is GraphModel) != (algorithm is any GraphAlgorithm) {
            return model is GraphModel ? "\(kind) trains over whole subgraphs: use gcn_fedavg, gcn_local or asfgnn"
                : "\(algorithm.name) trains a gcn model on a graph data set (cora, planetoid, graph_csv)"
        }
        return nil
    }

    /// The problem decentralized peers solve on `model`, or nil when the model is not one.
    public static func peerProblem(_ model: any DifferentiableModel) -> (any PeerProblem)? { model as? any PeerProblem }

    /// How many leading parameters the peers' consensus error is measured on: the upper-level
    /// variable of a bilevel problem, all of them otherwise.
    public static func consensusCount(_ model: any DifferentiableModel) -> Int {
        (model as? any BilevelProblem)?.upperCount ?? model.layout.totalCount
    }

    /// Columns a decentralized run measures on the peers' points (`peerNetworkSummary`).
    public static let peerNetworkColumns = ["consensus_error"]

    /// The network's average point and its metrics: `consensus_error`, the mean squared distance of the
    /// peers' points from their mean over the leading `consensusCount` parameters (in Double, as the
    /// in-memory simulator computes it; the mean sums first, so equal Floats give exactly zero).
    public static func peerNetworkSummary(_ points: [[Float]], model: any DifferentiableModel) -> (average: [Float], metrics: [String: Double]) {
        let average = Aggregation.weightedMean(points, weights: [Double](repeating: 1, count: points.count))
        let measured = min(consensusCount(model), average.count)
        var mean = [Double](repeating: 0, count: measured)
        for point in points { for j in 0..<measured { mean[j] += Double(point[j]) } }
        for j in 0..<measured { mean[j] /= Double(max(points.count, 1)) }
        var spread = 0.0
        for point in points { for j in 0..<measured { spread += (Double(point[j]) - mean[j]) * (Double(point[j]) - mean[j]) } }
        return (average, ["consensus_error": spread / Double(max(points.count, 1))])
    }

    /// Columns a decentralized run derives from the model's evaluation, ahead of the network's own.
    public static let peerDerivedColumns = ["hypergrad_norm"]

    /// The headline metric of a decentralized run of `model`.
    public static func peerHeadline(_ model: any DifferentiableModel) -> String {
        model.evaluationMetricNames.contains("hypergrad_norm_sq") ? "hypergrad_norm" : model.headlineMetric.name
    }

    /// The derived columns' values from one evaluation (NaN when the model does not report them).
    public static func peerDerivedMetrics(_ evaluation: [String: Double]) -> [String: Double] {
        ["hypergrad_norm": evaluation["hypergrad_norm_sq"].map { $0.squareRoot() } ?? .nan]
    }
}
