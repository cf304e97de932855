import FedCore
import FedModels

/// What each party keeps of a securely trained model (spec §2.4.7, the distributed model): the tree
/// shape, the public owner of every split, its own splits only, and its share of every leaf weight.
/// Neither party's half predicts anything alone.
public struct DistributedTree: Sendable, Equatable {
    /// Owner (0 or 1) of each internal node, heap order.
    public let owners: [Int]
    /// This party's splits, by node: its own feature (local index) and the largest bucket sent left.
    public let splits: [Int: OwnSplit]
    /// This party's additive shares of the 2^depth leaf weights (raw fixed point in Z_2^64).
    public let leafShares: [UInt64]

    public struct OwnSplit: Sendable, Equatable {
        public let feature: Int
        public let bucket: Int
        public init(feature: Int, bucket: Int) {
            self.feature = feature
            self.bucket = bucket
        }
    }

    /// For one row of this party's bins: 1 for each leaf reachable under this party's splits (both
    /// children at nodes owned by the other party).
    public func reachableLeaves(_ bins: ArraySlice<UInt8>, party: Int) -> [UInt64] {
        let inner = owners.count
        var reach = [Bool](repeating: false, count: 2 * inner + 1)
        reach[0] = true
        for node in 0..<inner where reach[node] {
            if owners[node] == party, let split = splits[node] {
                let left = Int(bins[bins.startIndex + split.feature]) <= split.bucket
                reach[2 * node + 1] = left
                reach[2 * node + 2] = !left
            } else {
                reach[2 * node + 1] = true
                reach[2 * node + 2] = true
            }
        }
        return (inner...(2 * inner)).map { reach[$0] ? 1 : 0 }
    }
}

/// One party's half of the model.
public struct PartyModel: Sendable, Equatable {
    public let party: Int
    public let depth: Int
    public let buckets: Int
    public let loss: BinnedBoosting.Loss
    /// enc(base score); P0 adds it, P1 holds 0.
    public let baseScore: Int64
    /// This party's bin thresholds, to bin new rows of its own features.
    public let bins: FeatureBins
    public var trees: [DistributedTree]

    public init(party: Int, depth: Int, buckets: Int, loss: BinnedBoosting.Loss, baseScore: Int64, bins: FeatureBins, trees: [DistributedTree]) {
        self.party = party
        self.depth = depth
        self.buckets = buckets
        self.loss = loss
        self.baseScore = baseScore
        self.bins = bins
        self.trees = trees
    }
}
