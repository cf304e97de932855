/// Implicit-feedback interactions (who interacted with what), the data of the recommender workloads.
///
/// Users and items are dense 0-based ids. Each (user, item) pair appears once, sorted by user then
/// item; `timestamps` (when known) orders a user's interactions for leave-one-out splits.
public struct InteractionSet: Sendable, Equatable {
    public let userCount: Int
    public let itemCount: Int
    /// The pairs, sorted by (user, item), without duplicates.
    public let users: [Int32]
    public let items: [Int32]
    /// One per pair (0 when the source had none).
    public let timestamps: [Int64]
    /// `userStarts[u]..<userStarts[u + 1]` are user u's pairs (CSR by user).
    public let userStarts: [Int]

    public var count: Int { users.count }

    /// Builds the set from unsorted pairs; later duplicates of a pair are dropped (the first kept).
    public init(userCount: Int, itemCount: Int, pairs: [(user: Int, item: Int, timestamp: Int64)]) {
        precondition(pairs.allSatisfy { $0.user >= 0 && $0.user < userCount && $0.item >= 0 && $0.item < itemCount },
                     "interaction ids out of range")
        let order = pairs.indices.sorted { (pairs[$0].user, pairs[$0].item, $0) < (pairs[$1].user, pairs[$1].item, $1) }
        var users = [Int32](), items = [Int32](), timestamps = [Int64]()
        users.reserveCapacity(pairs.count)
        for index in order {
            let pair = pairs[index]
            if let lastUser = users.last, Int(lastUser) == pair.user, Int(items[items.count - 1]) == pair.item { continue }
            users.append(Int32(pair.user))
            items.append(Int32(pair.item))
            timestamps.append(pair.timestamp)
        }
        var starts = [Int](repeating: 0, count: userCount + 1)
        for user in users { starts[Int(user) + 1] += 1 }
        for u in 0..<userCount { starts[u + 1] += starts[u] }
        self.userCount = userCount
        self.itemCount = itemCount
        self.users = users
        self.items = items
        self.timestamps = timestamps
        self.userStarts = starts
    }

    /// The items of user u, ascending.
    public func items(of user: Int) -> ArraySlice<Int32> { items[userStarts[user]..<userStarts[user + 1]] }

    /// Interactions per item.
    public var itemDegrees: [Int] {
        var degrees = [Int](repeating: 0, count: itemCount)
        for item in items { degrees[Int(item)] += 1 }
        return degrees
    }
}
