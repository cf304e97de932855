import FedCore

/// A recommender workload's interactions as every process builds them: the training interactions
/// and the held-out part of the chosen evaluation protocol (spec §5.1).
public struct RecommenderData: Sendable {
    /// Protocol A (all-ranking Recall/NDCG@20 over a random 80/20 split) or protocol B (leave-one-out
    /// HR/NDCG@10 against 99 fixed sampled negatives).
    public enum EvaluationProtocol: String, Sendable, CaseIterable {
        case allRanking = "all_ranking", leaveOneOut = "leave_one_out"

        /// The cut-off K of the protocol's metrics.
        public var cutoff: Int { self == .allRanking ? 20 : 10 }
        /// Metric columns, headline first.
        public var metricNames: [String] { self == .allRanking ? ["recall_20", "ndcg_20"] : ["hr_10", "ndcg_10"] }
    }

    public enum HeldOut: Sendable {
        case allRanking(test: InteractionSet)
        case leaveOneOut(testItem: [Int32], negatives: [[Int32]])
    }

    public let training: InteractionSet
    public let heldOut: HeldOut
    /// The run's seed, which keys the negative-sampling streams.
    public let seed: UInt64
    /// |N_i|: training interactions per item (federated LightGCN's normalisation).
    public let itemDegrees: [Int]

    public init(training: InteractionSet, heldOut: HeldOut, seed: UInt64) {
        self.training = training
        self.heldOut = heldOut
        self.seed = seed
        itemDegrees = training.itemDegrees
    }

    /// s_ui = 1/sqrt(|N_u||N_i|) for each of `user`'s training positives, in their order.
    public func propagationScales(of user: Int) -> [Float] {
        let positives = training.items(of: user)
        return positives.map { 1 / (Float(positives.count) * Float(itemDegrees[Int($0)])).squareRoot() }
    }

    /// Splits `interactions` for `evaluation` with the data-split stream of `seed`.
    public init(splitting interactions: InteractionSet, evaluation: EvaluationProtocol, seed: UInt64) {
        var rng = RNGStream(seed: seed, purpose: .dataSplit)
        switch evaluation {
        case .allRanking:
            let split = InteractionSplit.random(interactions, rng: &rng)
            self.init(training: split.train, heldOut: .allRanking(test: split.test), seed: seed)
        case .leaveOneOut:
            let split = InteractionSplit.leaveOneOut(interactions, rng: &rng)
            self.init(training: split.train, heldOut: .leaveOneOut(testItem: split.testItem, negatives: split.negatives), seed: seed)
        }
    }

    public var evaluation: EvaluationProtocol {
        if case .allRanking = heldOut { return .allRanking }
        return .leaveOneOut
    }

    public var userCount: Int { training.userCount }
    public var itemCount: Int { training.itemCount }

    /// Whether `user` has held-out items to be evaluated on (the count its report must carry).
    public func isEvaluated(_ user: Int) -> Bool {
        switch heldOut {
        case .allRanking(let test): return !test.items(of: user).isEmpty
        case .leaveOneOut(let testItem, _): return testItem[user] >= 0
        }
    }

    /// The items `user` trains against as negatives in `round`: for each of `epochs` epochs and each
    /// training positive, `perPositive` items the user never interacted with, uniform, drawn from the
    /// negative-sampling stream of (seed, user, round). The client's model step and the coordinator
    /// (which sends the rows) draw the same ones.
    public func negatives(of user: Int, round: Int, seed: UInt64, epochs: Int, perPositive: Int) -> [Int32] {
        let positives = training.items(of: user)
        guard !positives.isEmpty, positives.count < itemCount else { return [] }
        var rng = RNGStream(seed: seed, purpose: .negativeSampling, client: UInt64(user), round: UInt64(round))
        var drawn = [Int32]()
        drawn.reserveCapacity(epochs * positives.count * perPositive)
        for _ in 0..<(epochs * positives.count * perPositive) {
            var item: Int32
            // Positives are sorted: binary search instead of a per-call set.
            repeat { item = Int32(rng.nextInt(below: itemCount)) } while Self.contains(positives, item)
            drawn.append(item)
        }
        return drawn
    }

    /// The item rows `user` needs to train in `round`: its positives and that round's negatives, ascending.
    public func neededItems(of user: Int, round: Int, seed: UInt64, epochs: Int, perPositive: Int) -> [Int32] {
        neededItems(of: user, negatives: negatives(of: user, round: round, seed: seed, epochs: epochs, perPositive: perPositive))
    }

    /// The user's positives and `negatives`, ascending and distinct.
    public func neededItems(of user: Int, negatives: [Int32]) -> [Int32] {
        Set(training.items(of: user)).union(negatives).sorted()
    }

    static func contains(_ sorted: ArraySlice<Int32>, _ item: Int32) -> Bool {
        var low = sorted.startIndex, high = sorted.endIndex
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < item { low = middle + 1 } else { high = middle }
        }
        return low < sorted.endIndex && sorted[low] == item
    }
}
