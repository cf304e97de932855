/// The coordinator's view of the worker processes: who joined, who hosts which client, who is alive.
///
/// Client placement never affects results (a client's work depends only on its id, data and
/// stream), so placement is simply round-robin over the workers in name order.
struct WorkerRegistry {
    struct Record {
        let identity: [UInt8]
        let name: String
        let index: Int
        var clients: Set<Int> = []
        var lastSeen: ContinuousClock.Instant
        var alive = true
        /// Set when the worker reports that it has built its data and algorithm.
        var ready = false
    }

    private(set) var records: [Record] = []
    private var byIdentity: [[UInt8]: Int] = [:]
    private(set) var hostOf: [Int: Int] = [:]

    var count: Int { records.count }
    var aliveCount: Int { records.filter(\.alive).count }

    /// Adds a worker; returns nil if that identity already joined.
    mutating func add(identity: [UInt8], name: String, now: ContinuousClock.Instant) -> Int? {
        guard byIdentity[identity] == nil else { return nil }
        let index = records.count
        records.append(Record(identity: identity, name: name, index: index, lastSeen: now))
        byIdentity[identity] = index
        return index
    }

    func index(of identity: [UInt8]) -> Int? { byIdentity[identity] }

    mutating func touch(_ index: Int, now: ContinuousClock.Instant) { records[index].lastSeen = now }

    mutating func markReady(_ index: Int) { records[index].ready = true }

    var allReady: Bool { records.allSatisfy(\.ready) }

    /// Deals clients 0..<count round-robin over the workers in name order (ties: join order).
    ///
    /// Results never depend on placement, but which clients a failure takes down does; ordering by
    /// name instead of arrival makes a failure scenario with named workers repeatable.
    mutating func assignClients(count: Int) {
        let order = records.sorted { ($0.name, $0.index) < ($1.name, $1.index) }.map(\.index)
        for client in 0..<count {
            let worker = order[client % order.count]
            records[worker].clients.insert(client)
            hostOf[client] = worker
        }
        availableClients = Array(0..<count)
        clientCount = count
    }

    /// Marks a worker dead and moves its clients: all to the first standby worker if one is waiting
    /// (a restarted process takes the dead one's place), else round-robin over the survivors.
    ///
    /// - Returns: (worker, clients) pairs of every worker that received clients.
    mutating func drop(_ index: Int) -> [(worker: Int, clients: [Int])] {
        records[index].alive = false
        let orphans = records[index].clients.sorted()
        records[index].clients = []
        // Only workers that finished setting up take clients; one still loading data gets its share
        // when it is promoted.
        let survivors = standbyWorkers.first.map { [$0] } ?? records.filter { $0.alive && $0.ready }.map(\.index)
        guard !survivors.isEmpty else {
            for client in orphans { hostOf[client] = nil }
            availableClients = hostOf.keys.sorted()
            return []
        }
        var moved = [Int: [Int]]()
        for (position, client) in orphans.enumerated() {
            let target = survivors[position % survivors.count]
            records[target].clients.insert(client)
            hostOf[client] = target
            moved[target, default: []].append(client)
        }
        return moved.keys.sorted().map { ($0, moved[$0] ?? []) }
    }

    /// Clients whose host is alive, ascending (kept up to date by `assignClients` and `drop`, so
    /// sampling does not sort every client id every round).
    private(set) var availableClients: [Int] = []
    /// The run's number of virtual clients (set by `assignClients`).
    private(set) var clientCount = 0
}

extension WorkerRegistry {
    /// Workers that joined after the run started, set themselves up, and host no client yet.
    var standbyWorkers: [Int] { records.filter { $0.alive && $0.ready && $0.clients.isEmpty }.map(\.index) }

    /// Live workers that host clients.
    var activeCount: Int { records.filter { $0.alive && !$0.clients.isEmpty }.count }

    /// Gives a standby worker every client left without a host, then a fair share of the others,
    /// taken from the busiest workers.
    ///
    /// The share is ⌊clients / (active workers + 1)⌋; each further client is the highest id of the worker that
    /// holds the most (ties: the lowest worker index), so the moves depend only on the registry.
    /// Placement never affects results; only the hosts' copies of client state become stale.
    ///
    /// - Returns: the clients the standby worker now hosts, ascending.
    mutating func promote(_ index: Int) -> [Int] {
        precondition(records[index].alive && records[index].clients.isEmpty, "worker \(index) is not a standby worker")
        let share = clientCount / (activeCount + 1)
        var taken = (0..<clientCount).filter { hostOf[$0] == nil }
        for client in taken { hostOf[client] = index }
        records[index].clients.formUnion(taken)
        while taken.count < share {
            guard let donor = records.filter({ $0.alive && $0.index != index })
                .max(by: { ($0.clients.count, -$0.index) < ($1.clients.count, -$1.index) }),
                let client = donor.clients.max() else { break }
            records[donor.index].clients.remove(client)
            records[index].clients.insert(client)
            hostOf[client] = index
            taken.append(client)
        }
        availableClients = hostOf.keys.sorted()
        return taken.sorted()
    }
}
