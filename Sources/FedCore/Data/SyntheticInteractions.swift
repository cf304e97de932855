/// A seeded synthetic interaction set shaped like MovieLens: power-law item popularity and user
/// communities with their own taste, so that collaborative models have structure to find.
///
/// Item i's global popularity is ∝ (i + 1)^(−exponent). Items are dealt round-robin to `communities`
/// communities and each user belongs to one (u mod communities). A user draws
/// `minimumPerUser + Geometric` distinct items: with probability `communityAffinity` from its
/// community's items, otherwise from all items, both by popularity. Timestamps count up per user.
public enum SyntheticInteractions {
    public struct Settings: Sendable, Equatable {
        public var users = 943
        public var items = 1_682
        public var communities = 8
        public var exponent = 1.0
        public var communityAffinity = 0.8
        public var minimumPerUser = 20
        /// Mean interactions per user beyond the minimum.
        public var meanExtra = 86.0
        public init() {}
    }

    public static func make(_ settings: Settings, seed: UInt64) -> InteractionSet {
        var rng = RNGStream(seed: seed, purpose: .synthetic, round: 500)
        let weights = (0..<settings.items).map { 1 / libmExp(settings.exponent * libmLog(Double($0 + 1))) }
        let all = CumulativeWeights(items: Array(0..<settings.items), weights: weights)
        let communities = (0..<settings.communities).map { c in
            CumulativeWeights(items: Array(stride(from: c, to: settings.items, by: settings.communities)),
                              weights: stride(from: c, to: settings.items, by: settings.communities).map { weights[$0] })
        }
        var pairs = [(user: Int, item: Int, timestamp: Int64)]()
        for user in 0..<settings.users {
            // Geometric extra count with the given mean: P(stop) = 1 / (mean + 1) per draw.
            var extra = 0
            while rng.nextUnitDouble() >= 1 / (settings.meanExtra + 1) && extra < settings.items { extra += 1 }
            let target = min(settings.minimumPerUser + extra, settings.items / 2)
            var chosen = Set<Int>()
            var clock: Int64 = 0
            var attempts = 0
            while chosen.count < target && attempts < target * 50 {
                attempts += 1
                let pool = rng.nextUnitDouble() < settings.communityAffinity ? communities[user % settings.communities] : all
                let item = pool.draw(&rng)
                if chosen.insert(item).inserted {
                    clock += 1
                    pairs.append((user, item, clock))
                }
            }
        }
        return InteractionSet(userCount: settings.users, itemCount: settings.items, pairs: pairs)
    }

    /// Draws from a discrete distribution by binary search over cumulative weights.
    struct CumulativeWeights {
        let items: [Int]
        let cumulative: [Double]
        init(items: [Int], weights: [Double]) {
            self.items = items
            var total = 0.0
            cumulative = weights.map { total += $0; return total }
        }
        func draw(_ rng: inout RNGStream) -> Int {
            let target = rng.nextUnitDouble() * (cumulative.last ?? 0)
            var low = 0, high = cumulative.count - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > target { high = mid } else { low = mid + 1 }
            }
            return items[low]
        }
    }
}
