/// The coordinator's view of the worker processes: who joined, who hosts which client, who is alive.
///
/// Client placement never affects results (a client's work depends only on its id, data and
/// stream), so placement is simply round-robin over the workers in join order.
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

    /// Deals clients 0..<count round-robin over the workers.
    mutating func assignClients(count: Int) {
        for client in 0..<count {
            let worker = client % records.count
            records[worker].clients.insert(client)
            hostOf[client] = worker
        }
        availableClients = Array(0..<count)
    }

    /// Marks a worker dead and deals its clients to the survivors; returns (survivor, clients) pairs.
    mutating func drop(_ index: Int) -> [(worker: Int, clients: [Int])] {
        records[index].alive = false
        let orphans = records[index].clients.sorted()
        records[index].clients = []
        let survivors = records.filter(\.alive).map(\.index)
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
}
