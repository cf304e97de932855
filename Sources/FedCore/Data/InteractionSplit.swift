/// The two evaluation protocols' splits of an interaction set (spec `models-and-protocols.md` §5.1).
public enum InteractionSplit {
    /// Protocol A: each user's interactions shuffled (seeded) and split `trainFraction` / rest, with at
    /// least one of each for users with two or more (a user with one keeps it for training).
    public static func random(_ set: InteractionSet, trainFraction: Double = 0.8,
                              rng: inout RNGStream) -> (train: InteractionSet, test: InteractionSet) {
        var train = [(user: Int, item: Int, timestamp: Int64)](), test = train
        for user in 0..<set.userCount {
            var positions = Array(set.userStarts[user]..<set.userStarts[user + 1])
            rng.shuffle(&positions)
            let n = positions.count
            let trainCount = n < 2 ? n : min(max(Int((Double(n) * trainFraction).rounded()), 1), n - 1)
            for (k, position) in positions.enumerated() {
                let pair = (user: user, item: Int(set.items[position]), timestamp: set.timestamps[position])
                if k < trainCount { train.append(pair) } else { test.append(pair) }
            }
        }
        return (InteractionSet(userCount: set.userCount, itemCount: set.itemCount, pairs: train),
                InteractionSet(userCount: set.userCount, itemCount: set.itemCount, pairs: test))
    }

    /// Protocol B: each user's latest interaction (largest timestamp; ties: larger item id) is held out,
    /// with `negativeCount` items the user never interacted with, drawn uniformly without replacement
    /// (seeded, fixed for the run). Users with a single interaction are not evaluated.
    public struct LeaveOneOut: Sendable, Equatable {
        public let train: InteractionSet
        /// Per user: the held-out item, or −1 when the user is not evaluated.
        public let testItem: [Int32]
        /// Per user: the sampled negatives (empty when not evaluated).
        public let negatives: [[Int32]]

        public init(train: InteractionSet, testItem: [Int32], negatives: [[Int32]]) {
            self.train = train
            self.testItem = testItem
            self.negatives = negatives
        }
    }

    public static func leaveOneOut(_ set: InteractionSet, negativeCount: Int = 99, rng: inout RNGStream) -> LeaveOneOut {
        var train = [(user: Int, item: Int, timestamp: Int64)]()
        var testItem = [Int32](repeating: -1, count: set.userCount)
        var negatives = [[Int32]](repeating: [], count: set.userCount)
        for user in 0..<set.userCount {
            let range = set.userStarts[user]..<set.userStarts[user + 1]
            guard range.count >= 2 else {
                for position in range { train.append((user, Int(set.items[position]), set.timestamps[position])) }
                continue
            }
            let latest = range.max { (set.timestamps[$0], set.items[$0]) < (set.timestamps[$1], set.items[$1]) }!
            for position in range where position != latest { train.append((user, Int(set.items[position]), set.timestamps[position])) }
            testItem[user] = set.items[latest]
            let seen = Set(set.items[range])
            let available = set.itemCount - seen.count
            var drawn = Set<Int32>()
            var list = [Int32]()
            while list.count < min(negativeCount, available) {
                let item = Int32(rng.nextInt(below: set.itemCount))
                if !seen.contains(item) && drawn.insert(item).inserted { list.append(item) }
            }
            negatives[user] = list
        }
        return LeaveOneOut(train: InteractionSet(userCount: set.userCount, itemCount: set.itemCount, pairs: train),
                           testItem: testItem, negatives: negatives)
    }
}
