import FedCore
import FedModels

/// `workload.dataset:` settings of the interaction data sets (synthetic_interactions, movielens,
/// interactions_csv).
public struct InteractionDataSpec: Sendable, Equatable {
    /// movielens / interactions_csv: the file (MovieLens may not be redistributed: users pass their copy).
    public var path: String?
    /// Only ratings at least this high count as interactions (nil: every row).
    public var minimumRating: Double?
    /// Skip malformed rows (counted and reported) instead of stopping at the first.
    public var skipBadRows = false
    /// synthetic_interactions: the generator's shape.
    public var synthetic = SyntheticInteractions.Settings()
    /// Protocol A (`all_ranking`) or B (`leave_one_out`).
    public var evaluation = RecommenderData.EvaluationProtocol.allRanking
}

/// An interaction data set for one user per client: every process loads it and splits it identically.
public struct RecommenderWorkload: Sendable {
    public let data: RecommenderData
    /// What loading a file skipped (empty for the synthetic set).
    public let skippedRows: [String]

    /// Each client's weight: its user's training positives (at least 1, the wire's minimum).
    public var shardSizes: [Int] { (0..<data.userCount).map { max(data.training.items(of: $0).count, 1) } }

    /// Per client, the held-out count each metric of its report must carry (1 or 0 users).
    public var evaluationCounts: [[String: Int]] {
        (0..<data.userCount).map { user in
            let count = data.isEvaluated(user) ? 1 : 0
            return Dictionary(uniqueKeysWithValues: data.evaluation.metricNames.map { ($0, count) })
        }
    }

    /// Per user: training and held-out interactions, as CSV (the run directory's clients.csv).
    public func statisticsCSV() -> String {
        var lines = ["client,train_items,held_out_items"]
        for user in 0..<data.userCount {
            let heldOut: Int
            switch data.heldOut {
            case .allRanking(let test): heldOut = test.items(of: user).count
            case .leaveOneOut(let testItem, _): heldOut = testItem[user] >= 0 ? 1 : 0
            }
            lines.append("\(user),\(data.training.items(of: user).count),\(heldOut)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func prepare(_ context: WorkloadContext) throws -> RecommenderWorkload {
        let workload = try load(context.workload.dataset, seed: context.seed)
        guard context.clients == workload.data.userCount else {
            throw DataError.impossiblePartition(reason: "one user per client: \(context.workload.dataset.name) has \(workload.data.userCount) "
                                                + "users, so the topology needs clients: \(workload.data.userCount) (it has \(context.clients))")
        }
        return workload
    }

    /// Loads (or generates) the interactions and splits them for the spec's protocol.
    public static func load(_ spec: DatasetSpec, seed: UInt64) throws -> RecommenderWorkload {
        let interactions: InteractionSet
        var skipped = [String]()
        switch spec.name {
        case "synthetic_interactions":
            interactions = SyntheticInteractions.make(spec.interactions.synthetic, seed: seed)
        default:
            guard let path = spec.interactions.path else { throw DataError.unreadable(path: spec.name, reason: "no path given") }
            let loaded = try InteractionLoader.load(path: path, format: spec.name == "movielens" ? .movielens : .csv,
                                                    minimumRating: spec.interactions.minimumRating, skipBadRows: spec.interactions.skipBadRows)
            interactions = loaded.interactions
            skipped = loaded.report.skipped
        }
        return RecommenderWorkload(data: RecommenderData(splitting: interactions, evaluation: spec.interactions.evaluation, seed: seed),
                                   skippedRows: skipped)
    }
}

extension WorkloadCatalog {
    static func decodeInteractionData(_ section: ConfigSection, name: String) throws(ConfigError) -> InteractionDataSpec {
        var spec = InteractionDataSpec()
        if name == "synthetic_interactions" {
            spec.synthetic.users = try section.int("users", default: 943, range: 2...10_000_000)
            spec.synthetic.items = try section.int("items", default: 1_682, range: 2...10_000_000)
            spec.synthetic.communities = try section.int("communities", default: 8, range: 1...spec.synthetic.items)
            spec.synthetic.exponent = try section.double("popularity_exponent", default: 1.0, range: 0...5)
            spec.synthetic.communityAffinity = try section.double("community_affinity", default: 0.8, range: 0...1)
            spec.synthetic.minimumPerUser = try section.int("min_per_user", default: 20, range: 2...spec.synthetic.items / 2)
            spec.synthetic.meanExtra = try section.double("mean_extra", default: 86, range: 0...1e6)
        } else {
            spec.path = try section.string("path")
            spec.minimumRating = section.has("min_rating") ? try section.double("min_rating", range: -1e9...1e9) : nil
            spec.skipBadRows = try section.bool("skip_bad_rows", default: false)
        }
        let evaluation = try section.string("protocol", oneOf: RecommenderData.EvaluationProtocol.allCases.map(\.rawValue), default: "all_ranking")
        spec.evaluation = RecommenderData.EvaluationProtocol(rawValue: evaluation) ?? .allRanking
        return spec
    }
}
