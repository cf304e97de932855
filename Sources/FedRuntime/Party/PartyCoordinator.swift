import FedCore
import FedReport
import FedSecure
import FedTransport
import FedWire
import Foundation

/// The coordinator of a party run (secure vertical XGB): admits the two parties' workers, tells each
/// where the other listens, hands each its dealer key, answers party 0's requests for correlated
/// randomness, and records progress. It never receives what the parties exchange: a `ShareMessage`
/// reaching it is counted (`share_messages_at_dealer`, which must stay 0) and refused.
///
/// Per tree, metrics.csv gets one row: seconds, protocol rounds, bytes between the parties, bytes
/// from the dealer and AND gates. Party 0 reports the held-out metric after secure prediction
/// (opened to it alone; publishing the metric is its choice, which a run makes).
final class PartyCoordinator {
    let topology: Topology
    let spec: PartyRunSpec
    let socket: ZMQSocket
    let runDirectory: RunDirectory
    let events: EventLog
    let configYAML: String
    let runID: String
    var dealer: Dealer
    /// Worker identities and names by party; their last message time.
    var identities = [[UInt8]](), names = [String](), lastSeen = [ContinuousClock.Instant]()
    var endpoints = [Int: String]()
    var ready = Set<Int>()
    var progress = [Int: [[String: Double]]]()
    var results = [Int: [String: Double]]()
    var failure: String?
    var shareMessagesAtDealer = 0
    var dealerBytes = 0
    var sequence: UInt64 = 0
    var confirmed = Set<Int>()
    var treesWritten = 0
    var rows = [[String: Double]]()

    init(topology: Topology, spec: PartyRunSpec, socket: ZMQSocket, runDirectory: RunDirectory, events: EventLog, configYAML: String) throws {
        self.topology = topology
        self.spec = spec
        self.socket = socket
        self.runDirectory = runDirectory
        self.events = events
        self.configYAML = configYAML
        runID = "\(topology.name)-\(topology.seed)"
        dealer = Dealer(keys: spec.settings.randomness == .seeded ? DealerKeys.seeded(topology.seed) : try DealerKeys.system(),
                        maxWords: topology.federation.maxMessageBytes / 8)
    }

    static let treeColumns = ["tree", "tree_seconds", "protocol_rounds", "bytes_between_parties", "bytes_from_dealer", "and_gates",
                              "test_auc", "test_accuracy", "test_rmse", "share_messages_at_dealer"]
        + PlaintextReference.columns

    func run() throws -> [[String: Double]] {
        let metrics = try MetricsWriter(path: runDirectory.path(RunDirectory.File.metrics), extraColumns: Self.treeColumns)
        defer { metrics.close() }
        try admit()
        try waitUntil( "the parties' direct-channel endpoints") { self.endpoints.count == PartyRunSpec.parties }
        var mesh = Fedsim_V1_MeshDirectory()
        mesh.endpoints = (0..<PartyRunSpec.parties).map { endpoints[$0] ?? "" }
        mesh.peerWorker = [0, 1]
        for party in 0..<PartyRunSpec.parties {
            send(.mesh(mesh), to: party)
            var task = Fedsim_V1_ClientTask()
            task.clientID = UInt32(party)
            task.tensors = [PartyWire.keyTensor(dealer.keys.key(party: party))]
            send(.task(task), to: party, phase: PartyWire.keyPhase)
        }
        events.record("parties_connected", ["endpoints": mesh.endpoints.joined(separator: " "), "randomness": spec.settings.randomness.rawValue])
        let start = ContinuousClock.now
        try waitUntil( "training and secure prediction") {
            self.writeTreeRows(metrics, start: start)
            return self.results.count == PartyRunSpec.parties
        }
        // The last row carries party 0's held-out metric.
        var final = (rows.last ?? [:]).merging(results[0] ?? [:]) { _, reported in reported }
        if spec.settings.comparePlaintext { final.merge(try PlaintextReference.metrics(topology: topology, spec: spec)) { $1 } }
        final["round"] = Double(spec.settings.boosting.trees)
        final["share_messages_at_dealer"] = Double(shareMessagesAtDealer)
        metrics.append(final)
        shutdown(reason: "run complete")
        var fields: [String: any Sendable] = final.mapValues { $0 as any Sendable }
        fields["trees"] = spec.settings.boosting.trees
        fields["dealer_bytes"] = dealerBytes
        fields["dealer_requests"] = dealer.answered
        events.record("run_complete", fields)
        return rows
    }

    /// Writes each tree's row once both parties reported its leaves; the last tree's row waits for
    /// party 0's held-out metric.
    func writeTreeRows(_ metrics: MetricsWriter, start: ContinuousClock.Instant) {
        let trees = spec.settings.boosting.trees
        while treesWritten < trees {
            let tree = Double(treesWritten)
            let done = (0..<PartyRunSpec.parties).compactMap { party in
                progress[party]?.first { $0["tree"] == tree && $0["leaves"] == 1 }
            }
            guard done.count == PartyRunSpec.parties else { return }
            let row = treeRow(tree: treesWritten, done)
            if treesWritten + 1 < trees { metrics.append(row) }
            treesWritten += 1
        }
    }

    func treeRow(tree: Int, _ reports: [[String: Double]]) -> [String: Double] {
        let row: [String: Double] = [
            "round": Double(tree + 1), "tree": Double(tree),
            "tree_seconds": reports.map { $0["tree_seconds"] ?? 0 }.max() ?? 0,
            "protocol_rounds": reports[0]["tree_rounds"] ?? 0,
            "bytes_between_parties": reports.reduce(0) { $0 + ($1["tree_words_sent"] ?? 0) * 8 },
            "bytes_from_dealer": reports[0]["tree_dealer_words"].map { $0 * 8 } ?? 0,
            "and_gates": reports[0]["tree_and_gates"] ?? 0,
            "share_messages_at_dealer": Double(shareMessagesAtDealer),
        ]
        rows.append(row)
        return row
    }

    /// Two workers join; each is told its party (worker i hosts party i) and the configuration.
    func admit() throws {
        try waitUntil( "\(PartyRunSpec.parties) workers to join", deadlineSeconds: topology.federation.joinTimeoutSeconds) {
            self.identities.count == PartyRunSpec.parties
        }
        for party in 0..<PartyRunSpec.parties {
            var ack = Fedsim_V1_JoinAck()
            ack.runID = runID
            ack.configYaml = configYAML
            ack.configFile = topology.sourceFile
            ack.clientIds = [UInt32(party)]
            ack.workerIndex = UInt32(party)
            send(.joinAck(ack), to: party)
        }
        try waitUntil( "the parties to load their columns", deadlineSeconds: topology.federation.joinTimeoutSeconds) {
            self.ready.count == PartyRunSpec.parties
        }
        for party in 0..<PartyRunSpec.parties { events.record("worker_ready", ["worker": names[party], "party": party]) }
    }

    /// Pumps messages until `done`; stops on a party failure, or when a party stays silent for the
    /// time-out (or `deadlineSeconds` overall, when given).
    func waitUntil(_ what: String, deadlineSeconds: Double? = nil, _ done: () -> Bool) throws {
        let silence = Duration.milliseconds(Int(topology.federation.timeoutSeconds * 1000))
        let deadline = deadlineSeconds.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        while !done() {
            if let failure { throw RuntimeError.partyFailed(reason: failure) }
            let now = ContinuousClock.now
            if let deadline, now >= deadline { throw RuntimeError.setupFailed(reason: "waited \(deadlineSeconds ?? 0) s for \(what)") }
            if deadline == nil, let silent = lastSeen.indices.first(where: { now - lastSeen[$0] >= silence }) {
                let reason = "party \(silent) (\(names[silent])) sent nothing for \(topology.federation.timeoutSeconds) s while waiting for \(what)"
                failure = reason
                events.record("party_failed", ["party": silent, "reason": reason])
                throw RuntimeError.partyFailed(reason: reason)
            }
            if let frames = try socket.receive(timeoutMilliseconds: 50) { handle(frames) }
        }
    }

    func handle(_ frames: [[UInt8]]) {
        guard frames.count == 2 else { return reject(nil, "expected 2 frames, got \(frames.count)", code: "bad_framing") }
        let party = identities.firstIndex(of: frames[0])
        if let party { lastSeen[party] = .now }
        let envelope: Fedsim_V1_Envelope
        do { envelope = try EnvelopeCodec.decode(frames[1], limit: topology.federation.maxMessageBytes) } catch {
            return reject(party, error.description, code: error.code)
        }
        if case let .join(join)? = envelope.body {
            guard party == nil, identities.count < PartyRunSpec.parties, join.protocolVersion == EnvelopeCodec.protocolVersion else {
                return reject(party, "join from '\(join.workerName)' refused (run full or wrong protocol version)", code: "late_join", reply: frames[0])
            }
            identities.append(frames[0]); names.append(join.workerName); lastSeen.append(.now)
            events.record("join", ["worker": join.workerName, "party": identities.count - 1, "pid": Int(join.pid)])
            var beat = Fedsim_V1_Envelope()
            beat.body = .heartbeat(Fedsim_V1_Heartbeat())
            try? socket.send([frames[0], EnvelopeCodec.encode(beat)])
            return
        }
        guard let party else { return reject(nil, "message from an unknown sender '\(envelope.sender)'", code: "unknown_sender") }
        guard envelope.runID == runID || envelope.runID.isEmpty else { return reject(party, "wrong run id", code: "wrong_run") }
        switch envelope.body {
        case let .heartbeat(beat)?:
            if beat.ready { ready.insert(party) }
            send(.heartbeat(Fedsim_V1_Heartbeat()), to: party)
        case let .peerEndpoint(announce)?:
            endpoints[party] = announce.endpoint
        case .share?:
            // Party-to-party traffic must never reach the dealer (spec §2.4.1): count it, refuse it.
            shareMessagesAtDealer += 1
            reject(party, "a share message reached the dealer", code: "unexpected_kind")
        case let .update(update)? where envelope.phase == PartyWire.dealerPhase:
            onDealerRequest(update, party: party)
        case let .update(update)? where envelope.phase == PartyWire.progressPhase:
            progress[party, default: []].append(update.metrics)
            var fields: [String: any Sendable] = update.metrics.mapValues { $0 as any Sendable }
            fields["party"] = party
            events.record("party_progress", fields)
        case let .update(update)? where envelope.phase == PartyWire.resultPhase:
            results[party] = update.metrics
        case let .error(report)?:
            if failure == nil { failure = report.message }
            events.record("party_failed", ["party": party, "code": report.code, "reason": report.message])
        case .shutdown?:
            confirmed.insert(party)
        default:
            reject(party, "unexpected message kind in a party run", code: "unexpected_kind")
        }
    }

    /// Party 0's request for the correlated half of its next material.
    func onDealerRequest(_ update: Fedsim_V1_ClientUpdate, party: Int) {
        guard party == 0 else { return reject(party, "only party 0 asks the dealer", code: "unexpected_kind") }
        let fields = (0..<5).compactMap { update.metrics["f\($0)"] }.map { Int($0) }
        guard let index = update.metrics["index"].map(Int.init), let request = MaterialRequest(wireFields: fields) else {
            failure = "party 0 sent a malformed dealer request"
            return reject(party, "malformed dealer request \(update.metrics)", code: "bad_request")
        }
        do {
            let words = try dealer.correction(index: index, request: request)
            var task = Fedsim_V1_ClientTask()
            task.clientID = 0
            task.config = ["index": Double(index)]
            // No tensor for an empty correction (a ring tensor has at least one element).
            task.tensors = words.isEmpty ? [] : [RingTensor(name: "correction", shape: [words.count], values: words).wireTensor()]
            dealerBytes += words.count * 8
            send(.task(task), to: 0, phase: PartyWire.dealerPhase)
        } catch {
            failure = "dealer: \(error)"
            reject(party, "\(error)", code: "bad_request")
        }
    }

    func reject(_ party: Int?, _ reason: String, code: String, reply: [UInt8]? = nil) {
        events.record("rejected", ["from": party.map { names[$0] } ?? "unknown", "code": code, "reason": reason])
        if let reply {
            var report = Fedsim_V1_ErrorReport()
            report.code = code
            report.message = reason
            var envelope = Fedsim_V1_Envelope()
            envelope.body = .error(report)
            try? socket.send([reply, EnvelopeCodec.encode(envelope)])
        }
    }

    func send(_ body: Fedsim_V1_Envelope.OneOf_Body, to party: Int, phase: String = "") {
        sequence += 1
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.sender = "coordinator"
        envelope.receiver = names[party]
        envelope.phase = phase
        envelope.seq = sequence
        envelope.body = body
        do { try socket.send([identities[party], EnvelopeCodec.encode(envelope)]) } catch {
            events.record("send_failed", ["receiver": names[party], "reason": error.description])
        }
    }

    func shutdown(reason: String) {
        var message = Fedsim_V1_Shutdown()
        message.reason = reason
        for _ in 0..<10 where confirmed.count < identities.count {
            for party in identities.indices where !confirmed.contains(party) { send(.shutdown(message), to: party) }
            let deadline = ContinuousClock.now + .milliseconds(200)
            while ContinuousClock.now < deadline, confirmed.count < identities.count {
                if let frames = try? socket.receive(timeoutMilliseconds: 20) { handle(frames) }
            }
        }
    }
}
