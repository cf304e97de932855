import FedTransport
import Foundation

/// A worker's gossip sockets in a decentralized run: one ROUTER its peers' neighbours send to, and one
/// DEALER to each other worker that hosts a neighbour of one of its peers. Gossip never passes
/// through the coordinator, which only tells every worker where the others listen.
final class PeerLinks {
    let inbound: ZMQSocket
    /// The endpoint other workers connect to.
    let advertised: String
    private var outbound = [Int: ZMQSocket]()
    /// The socket file of an ipc endpoint, removed on close.
    private var socketFile: String?

    /// Binds the inbound socket on the same kind of transport as the coordinator's endpoint.
    init(context: ZMQContext, coordinatorEndpoint: String, workerName: String, advertiseHost: String?, maxMessageBytes: Int) throws {
        inbound = try context.makeSocket(.router)
        try inbound.setHighWaterMarks(send: 0, receive: 0)
        try inbound.setMaxMessageSize(Int64(maxMessageBytes) * 2 + 4096)
        let bind: String
        var host: String?
        if coordinatorEndpoint.hasPrefix("inproc://") {
            bind = "\(coordinatorEndpoint)-peers-\(workerName)"
        } else if coordinatorEndpoint.hasPrefix("ipc://") {
            bind = "ipc://\(NSTemporaryDirectory())fedsim-peers-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        } else {
            let coordinatorHost = Self.host(of: coordinatorEndpoint)
            let loopback = ["127.0.0.1", "localhost", "[::1]"].contains(coordinatorHost)
            host = advertiseHost ?? (loopback ? "127.0.0.1" : Self.firstIPv4Address() ?? ProcessInfo.processInfo.hostName)
            bind = loopback && advertiseHost == nil ? "tcp://127.0.0.1:*" : "tcp://0.0.0.0:*"
        }
        try inbound.bind(bind)
        if bind.hasPrefix("ipc://") { socketFile = String(bind.dropFirst("ipc://".count)) }
        let bound = try inbound.lastEndpoint()
        if let host, let colon = bound.lastIndex(of: ":") {
            advertised = "tcp://\(host)\(bound[colon...])"
        } else {
            advertised = bound
        }
    }

    /// Connects to the workers at `endpoints` (by worker index) that this worker sends to.
    func connect(to workers: Set<Int>, endpoints: [String], context: ZMQContext, identity: String) throws {
        for worker in workers.sorted() {
            let socket = try context.makeSocket(.dealer)
            try socket.setRoutingID(Array(identity.utf8))
            try socket.setHighWaterMarks(send: 0, receive: 0)
            try socket.connect(endpoints[worker])
            outbound[worker] = socket
        }
    }

    /// Sends one encoded envelope to `worker`'s inbound socket.
    func send(_ payload: [UInt8], to worker: Int) throws {
        guard let socket = outbound[worker] else { preconditionFailure("no link to worker \(worker)") }
        try socket.send([payload])
    }

    func close() {
        for socket in outbound.values {
            try? socket.setLinger(milliseconds: 1000)
            socket.close()
        }
        inbound.close()
        if let socketFile { unlink(socketFile) }
    }

    /// The host part of `tcp://HOST:PORT`.
    static func host(of endpoint: String) -> String {
        let rest = endpoint.hasPrefix("tcp://") ? String(endpoint.dropFirst(6)) : endpoint
        guard let colon = rest.lastIndex(of: ":") else { return rest }
        return String(rest[..<colon])
    }

    /// This machine's first up, non-loopback IPv4 address (what a worker on another host can usually
    /// reach; on hosts with several interfaces, set the worker's `--advertise-host`).
    static func firstIPv4Address() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET),
                  (entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK)) == 0, (entry.pointee.ifa_flags & UInt32(IFF_UP)) != 0 else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            let ok = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 -> Bool in
                var raw = ipv4.pointee.sin_addr
                return inet_ntop(AF_INET, &raw, &text, socklen_t(INET_ADDRSTRLEN)) != nil
            }
            if ok { return String(cString: text) }
        }
        return nil
    }
}
