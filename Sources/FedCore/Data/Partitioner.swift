/// How the training data is divided among virtual clients.
///
/// Every partition is a pure function of the data set, the client count and a random stream,
/// so every worker process computes the same shards without any data travelling.
public enum Partition: Sendable, Equatable {
    /// Shuffled and dealt out in near-equal shares.
    case iid
    /// Label skew: each class is divided among clients in proportions drawn from Dirichlet(alpha).
    case dirichlet(alpha: Double, minimumPerClient: Int)
    /// Each client holds `classesPerClient` distinct classes, each class shared evenly by its holders.
    case labelSplit(classesPerClient: Int)
    /// Domain adaptation: clients 0..<sourceClients share the labelled (source) rows, the others share
    /// the unlabelled (target) rows, each group shuffled and dealt out evenly. With
    /// `sourceClassesPerClient` set, the source rows are dealt as `labelSplit` among the source
    /// clients instead (label imbalance: each source client sees only some classes).
    case domains(sourceClients: Int, sourceClassesPerClient: Int?)
    /// Client c holds the c-th of `clients` contiguous blocks of rows, in the data set's own order
    /// (for data sets generated group by group, such as the skill teacher's tasks).
    case contiguous

    /// The indices (into `data`) each client holds, ascending; `result[c]` belongs to client c.
    public func assign(_ data: Dataset, clients: Int, rng: inout RNGStream) throws(DataError) -> [[Int]] {
        try assign(labels: data.labels, classCount: data.classCount, clients: clients, rng: &rng)
    }

    /// The same partition from the labels alone (a partition never looks at features), so a process
    /// that holds no training features can still know every client's shard.
    public func assign(labels: [Int32], classCount: Int, clients: Int, rng: inout RNGStream) throws(DataError) -> [[Int]] {
        guard clients > 0 else { throw .impossiblePartition(reason: "the client count must be positive") }
        guard labels.count >= clients else {
            throw .impossiblePartition(reason: "\(labels.count) examples cannot give each of \(clients) clients one")
        }
        var groups = [[Int]](repeating: [], count: classCount)
        var unlabelled = [Int]()
        for (index, label) in labels.enumerated() {
            if label >= 0 { groups[Int(label)].append(index) } else { unlabelled.append(index) }
        }
        if case let .domains(sourceClients, classesPerClient) = self {
            return try Self.domains(groups, unlabelled: unlabelled, clients: clients, sourceClients: sourceClients,
                                    classesPerClient: classesPerClient, rng: &rng)
        }
        guard unlabelled.isEmpty else {
            throw .impossiblePartition(reason: "the data set has \(unlabelled.count) unlabelled (target-domain) rows; "
                                       + "use partition kind domains, which gives them to target clients")
        }
        switch self {
        case .iid:
            var order = Array(0..<labels.count)
            rng.shuffle(&order)
            return Self.deal(order, among: clients)
        case .contiguous:
            return (0..<clients).map { c in Array((c * labels.count / clients)..<((c + 1) * labels.count / clients)) }
        case let .dirichlet(alpha, minimum):
            return try Self.dirichlet(groups, clients: clients, alpha: alpha, minimum: minimum, rng: &rng)
        case let .labelSplit(k):
            return try Self.labelSplit(groups, clients: clients, classesPerClient: k, rng: &rng)
        case .domains:
            preconditionFailure("handled above")
        }
    }

    private static func domains(
        _ groups: [[Int]], unlabelled: [Int], clients: Int, sourceClients: Int, classesPerClient: Int?, rng: inout RNGStream
    ) throws(DataError) -> [[Int]] {
        let targetClients = clients - sourceClients
        guard sourceClients >= 1 && targetClients >= 1 else {
            throw .impossiblePartition(reason: "domains needs at least one source and one target client; "
                                       + "source_clients is \(sourceClients) of \(clients) clients")
        }
        let labelled = groups.reduce(0) { $0 + $1.count }
        guard labelled >= sourceClients && unlabelled.count >= targetClients else {
            throw .impossiblePartition(reason: "\(labelled) source rows and \(unlabelled.count) target rows cannot give "
                                       + "\(sourceClients) source and \(targetClients) target clients one row each")
        }
        let source: [[Int]]
        if let k = classesPerClient {
            source = try labelSplit(groups, clients: sourceClients, classesPerClient: k, rng: &rng)
        } else {
            var order = groups.flatMap { $0 }
            rng.shuffle(&order)
            source = deal(order, among: sourceClients)
        }
        var targetOrder = unlabelled
        rng.shuffle(&targetOrder)
        return source + deal(targetOrder, among: targetClients)
    }

    /// Shuffled rows dealt round-robin into `count` ascending shards.
    private static func deal(_ order: [Int], among count: Int) -> [[Int]] {
        (0..<count).map { c in stride(from: c, to: order.count, by: count).map { order[$0] }.sorted() }
    }

    // The usual recipe (Hsu et al. 2019; Yurochkin et al. 2019): per class, draw client
    // proportions from Dirichlet(alpha) and cut the shuffled class at the cumulative shares.
    // Draws that leave a client below the minimum are redrawn, as common implementations do;
    // the retry count is bounded so an impossible request fails with a message instead of looping.
    private static func dirichlet(
        _ groups: [[Int]], clients: Int, alpha: Double, minimum: Int, rng: inout RNGStream
    ) throws(DataError) -> [[Int]] {
        guard alpha > 0 else { throw .impossiblePartition(reason: "dirichlet alpha must be positive, got \(alpha)") }
        for _ in 0..<1000 {
            var shards = [[Int]](repeating: [], count: clients)
            for var group in groups where !group.isEmpty {
                rng.shuffle(&group)
                let shares = rng.nextDirichlet(alpha: alpha, count: clients)
                var cumulative = 0.0
                var start = 0
                for c in 0..<clients {
                    cumulative += shares[c]
                    let end = c == clients - 1 ? group.count : min(group.count, Int((cumulative * Double(group.count)).rounded()))
                    if end > start { shards[c].append(contentsOf: group[start..<end]) }
                    start = max(start, end)
                }
            }
            if shards.allSatisfy({ $0.count >= minimum }) { return shards.map { $0.sorted() } }
        }
        throw .impossiblePartition(
            reason: "Dirichlet(\(alpha)) over \(clients) clients never gave every client \(minimum) examples in 1000 draws; "
                + "raise alpha, lower the client count or lower min_per_client")
    }

    // Client c holds classes (c*k + j) mod C for j < k after a random relabelling of classes,
    // so every client has exactly k distinct classes and classes are spread evenly.
    private static func labelSplit(
        _ groups: [[Int]], clients: Int, classesPerClient k: Int, rng: inout RNGStream
    ) throws(DataError) -> [[Int]] {
        let classCount = groups.count
        guard k >= 1 && k <= classCount else {
            throw .impossiblePartition(reason: "classes_per_client must be in 1...\(classCount), got \(k)")
        }
        let present = groups.filter { !$0.isEmpty }.count
        guard clients * k >= present else {
            throw .impossiblePartition(reason: "\(clients) clients with \(k) classes each cannot hold all \(present) classes; "
                                       + "raise classes_per_client or the client count")
        }
        var classOrder = Array(0..<classCount)
        rng.shuffle(&classOrder)
        var holders = [[Int]](repeating: [], count: classCount)
        for c in 0..<clients {
            for j in 0..<k { holders[classOrder[(c * k + j) % classCount]].append(c) }
        }
        var shards = [[Int]](repeating: [], count: clients)
        for (label, var group) in groups.enumerated() where !holders[label].isEmpty {
            rng.shuffle(&group)
            let owners = holders[label]
            for (position, index) in group.enumerated() { shards[owners[position % owners.count]].append(index) }
        }
        if let empty = shards.firstIndex(where: { $0.isEmpty }) {
            throw .impossiblePartition(reason: "client \(empty) received no examples; use fewer clients")
        }
        return shards.map { $0.sorted() }
    }
}
