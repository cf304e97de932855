import FedCore

/// The federated recommender's settings (spec §5.2, keys under `algorithm:`).
///
/// - `local_epochs` (E, 5): passes over the user's training positives per round.
/// - `batch_size` (32): positives per local step.
/// - `user_lr` (0.05): Adam's step on the private user rows (the moments stay on the client).
/// - `item_lr` (η_c, 10): plain SGD on the item rows and shared weights the client received. Large
///   because the step follows the gradient of the batch's *mean* loss (a row's share is 1/B) and
///   `mean_all` divides each row's delta by the round's participants again; measured on the synthetic
///   set, 10 learns where 0.05–1 barely moves the item table in 30 rounds (README).
/// - `negatives` (1 for BPR-MF, 4 for NCF): sampled negatives per positive, fresh each epoch.
/// - `item_rule` (`mean_all`): how the server applies item deltas — `mean_all` divides each row's
///   summed delta by the round's participants (plain FedAvg), `mean_touched` by the clients that
///   touched the row, `sum` adds it whole (FedMF).
/// - `item_download` (`needed`): `needed` sends a client only the rows it trains (its positives and
///   the round's negatives, as sparse rows; the row ids reveal no more than its upload does), `all`
///   the whole item tables.
/// - `eval_every` (10): every this many rounds the tasks carry the whole item tables and the clients
///   report the protocol's metrics on the model they received (rows between stay empty).
public struct RecommenderSettings: Sendable, Equatable {
    public enum ItemRule: String, Sendable, CaseIterable { case meanAll = "mean_all", meanTouched = "mean_touched", sum }
    public enum ItemDownload: String, Sendable, CaseIterable { case needed, all }

    public var localEpochs = 5
    public var batchSize = 32
    public var userLearningRate = 0.05
    public var itemLearningRate = 10.0
    public var negatives = 1
    public var itemRule = ItemRule.meanAll
    public var itemDownload = ItemDownload.needed
    public var evaluateEvery = 10

    public init() {}

    public init(section: ConfigSection, defaultNegatives: Int) throws(ConfigError) {
        localEpochs = try section.int("local_epochs", default: 5, range: 1...1_000)
        batchSize = try section.int("batch_size", default: 32, range: 1...1_000_000)
        userLearningRate = try section.double("user_lr", default: 0.05, range: 0...100)
        itemLearningRate = try section.double("item_lr", default: 10, range: 0...10_000)
        negatives = try section.int("negatives", default: defaultNegatives, range: 1...100)
        itemRule = ItemRule(rawValue: try section.string("item_rule", oneOf: ItemRule.allCases.map(\.rawValue), default: "mean_all")) ?? .meanAll
        itemDownload = ItemDownload(rawValue: try section.string("item_download", oneOf: ItemDownload.allCases.map(\.rawValue),
                                                                 default: "needed")) ?? .needed
        evaluateEvery = try section.int("eval_every", default: 10, range: 1...1_000_000)
    }

    public var summary: [(key: String, value: String)] {
        [("local_epochs", "\(localEpochs)"), ("batch_size", "\(batchSize)"), ("user_lr", "\(userLearningRate)"),
         ("item_lr", "\(itemLearningRate)"), ("negatives", "\(negatives)"), ("item_rule", itemRule.rawValue),
         ("item_download", itemDownload.rawValue), ("eval_every", "\(evaluateEvery)")]
    }
}
