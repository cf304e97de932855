import FedAlgorithms
import FedCore
import FedModels
import FedTransport
import FedSecure
import FedWire
import Foundation

/// A worker process: hosts many virtual clients and runs their tasks one after another.
///
/// It joins the coordinator, receives the run's configuration, builds the same data partition as
/// every other process, and answers tasks. While idle it sends heartbeats so the coordinator knows
/// it is alive, and it gives up when the coordinator stays silent for too long.
public final class Worker {
    /// Settings that do not come from the topology.
    public struct Options: Sendable {
        public var name: String
        /// Seconds without any message from the coordinator before giving up.
        public var coordinatorTimeoutSeconds: Double
        /// Test hook: stop answering (as if the process died) after this many tasks.
        public var failAfterTasks: Int?
        /// Test hook: extra seconds spent on every task (a slow machine).
        public var delayPerTaskSeconds: Double
        /// Test hook (decentralized runs): go silent, as if killed, after this many outer iterations.
        public var failAfterIterations: Int?
        /// The address other workers reach this one's peers at (decentralized runs over tcp); nil: the
        /// loopback address when the coordinator is on loopback, else this host's first IPv4 address.
        public var advertiseHost: String?
        /// Kept fresh while the worker's loop runs (for container health checks); nil: none.
        public var liveness: LivenessBeacon?
        /// Where the hosted clients' private state is saved (nil: memory only). Local runs use the run
        /// directory's `private-state/`; workers that may take over each other's clients share one.
        public var stateDirectory: String?
        /// Test hook: sees every frame this worker sends to the coordinator, as encoded for the wire,
        /// and returns the frame to send (privacy tests check what leaves a client; tampering tests
        /// alter it).
        public var messageTap: (@Sendable ([UInt8]) -> [UInt8])?
        /// Test hook (party runs): rewrites or drops (nil) each share frame this party sends.
        public var partyTamper: (@Sendable (ShareFrame) -> ShareFrame?)?
        public init(name: String, coordinatorTimeoutSeconds: Double = 60, failAfterTasks: Int? = nil,
                    delayPerTaskSeconds: Double = 0, failAfterIterations: Int? = nil, advertiseHost: String? = nil,
                    liveness: LivenessBeacon? = nil, stateDirectory: String? = nil,
                    messageTap: (@Sendable ([UInt8]) -> [UInt8])? = nil) {
            self.liveness = liveness
            self.messageTap = messageTap
            self.stateDirectory = stateDirectory
            self.name = name
            self.coordinatorTimeoutSeconds = coordinatorTimeoutSeconds
            self.failAfterTasks = failAfterTasks
            self.delayPerTaskSeconds = delayPerTaskSeconds
            self.failAfterIterations = failAfterIterations
            self.advertiseHost = advertiseHost
        }
    }

    let socket: ZMQSocket
    let options: Options
    /// For the gossip sockets of decentralized runs.
    let context: ZMQContext?
    /// The coordinator's endpoint (decides how this worker's peers listen).
    let coordinatorEndpoint: String
    var sequence: UInt64 = 0
    var hosted = Set<Int>()
    var tasksDone = 0
    /// Persistent state of the hosted clients (for stateful algorithms), by client id.
    var clientStates = [Int: ClientState]()
    /// State that never leaves the hosted clients (graph models' private tensors).
    lazy var privateStates = PrivateStateStore(directory: options.stateDirectory)

    /// - Parameters:
    ///   - socket: a DEALER socket, already connected to the coordinator at `coordinatorEndpoint`.
    ///   - context: the context gossip sockets are made in (decentralized runs need it).
    public init(socket: ZMQSocket, options: Options, context: ZMQContext? = nil, coordinatorEndpoint: String = "") {
        self.socket = socket
        self.options = options
        self.context = context
        self.coordinatorEndpoint = coordinatorEndpoint
    }

    /// Joins, serves tasks until told to shut down. Returns the shutdown reason.
    public func run() throws -> String {
        var join = Fedsim_V1_Join()
        join.workerName = options.name
        join.protocolVersion = EnvelopeCodec.protocolVersion
        join.pid = UInt32(getpid())
        join.hostname = ProcessInfo.processInfo.hostName
        join.blasCore = Matmul.coreName
        join.blasLibrary = Matmul.libraryDescription
        join.machine = BLASCompatibility.machine
        try send(.join(join), runID: "", round: 0, attempt: 0, phase: "", receiver: "coordinator")
        let ack = try awaitJoinAck()
        hosted = Set(ack.clientIds.map(Int.init))
        // A party run has no model workload: its party loads its own columns.
        if let topology = try? Topology(node: YAMLConfigLoader.parse(ack.configYaml, file: ack.configFile), file: ack.configFile),
           let spec = topology.partyRun, let party = hosted.first {
            return try serveParty(topology: topology, spec: spec, party: party, runID: ack.runID)
        }
        let session: WorkerSession
        do {
            session = try WorkerSession(ack: ack)
        } catch {
            var report = Fedsim_V1_ErrorReport()
            report.code = "setup_failed"
            report.message = "\(options.name): \(error)"
            try? send(.error(report), runID: ack.runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
            throw error
        }
        // This heartbeat tells the coordinator the worker is ready for tasks.
        var ready = Fedsim_V1_Heartbeat()
        ready.ready = true
        try send(.heartbeat(ready), runID: ack.runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
        if session.peerAlgorithm != nil { return try servePeers(session: session, runID: ack.runID) }
        return try serve(session: session, runID: ack.runID)
    }

    /// Waits for the JoinAck. The coordinator answers the Join at once and every heartbeat after it,
    /// so waiting for other workers to join never looks like a silent coordinator.
    func awaitJoinAck() throws -> Fedsim_V1_JoinAck {
        try awaitCoordinator(runID: "") { envelope throws -> Fedsim_V1_JoinAck? in
            switch envelope.body {
            case let .joinAck(ack)?: return ack
            case let .error(report)?: throw RuntimeError.refused(reason: report.message)
            case let .shutdown(shutdown)?: throw RuntimeError.refused(reason: "shut down before the run started: \(shutdown.reason)")
            default: return nil
            }
        }
    }

    /// Receives from the coordinator until `accept` returns a value, sending a heartbeat every second
    /// while nothing arrives; gives up after the coordinator time-out without a message.
    func awaitCoordinator<Value>(runID: String, _ accept: (Fedsim_V1_Envelope) throws -> Value?) throws -> Value {
        let patience = Duration.milliseconds(Int(options.coordinatorTimeoutSeconds * 1000))
        var lastHeard = ContinuousClock.now
        var lastSent = ContinuousClock.now
        while ContinuousClock.now - lastHeard < patience {
            options.liveness?.beat()
            guard let frames = try socket.receive(timeoutMilliseconds: 200) else {
                if ContinuousClock.now - lastSent >= .seconds(1) {
                    try send(.heartbeat(Fedsim_V1_Heartbeat()), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
                    lastSent = .now
                }
                continue
            }
            guard let payload = frames.last, let envelope = try? EnvelopeCodec.decode(payload, limit: Int.max) else { continue }
            lastHeard = .now
            if let value = try accept(envelope) { return value }
        }
        throw RuntimeError.coordinatorSilent(seconds: options.coordinatorTimeoutSeconds)
    }

    func serve(session: WorkerSession, runID: String) throws -> String {
        var lastHeard = ContinuousClock.now
        var lastSent = ContinuousClock.now
        let heartbeatEvery = Duration.milliseconds(Int(min(1.0, session.topology.federation.timeoutSeconds / 4) * 1000))
        let waitMs = Int32(heartbeatEvery.components.seconds * 1000 + heartbeatEvery.components.attoseconds / 1_000_000_000_000_000)
        let patience = Duration.milliseconds(Int(options.coordinatorTimeoutSeconds * 1000))
        var inbox = [Fedsim_V1_Envelope]()
        // The newest (round, attempt) any received task belongs to: queued tasks of older attempts are
        // skipped, because the coordinator has already given up on them.
        var newest: (round: UInt64, attempt: UInt32) = (0, 0)
        func enqueue(_ frames: [[UInt8]]) {
            guard let payload = frames.last, let envelope = try? EnvelopeCodec.decode(payload, limit: Int.max) else { return }
            if case .task? = envelope.body, (envelope.round, envelope.attempt) > newest { newest = (envelope.round, envelope.attempt) }
            inbox.append(envelope)
        }
        while true {
            options.liveness?.beat()
            if let limit = options.failAfterTasks, tasksDone >= limit {
                // Simulated crash: go silent without a goodbye, like a killed process.
                return "simulated failure after \(limit) tasks"
            }
            if inbox.isEmpty {
                guard let frames = try socket.receive(timeoutMilliseconds: waitMs) else {
                    let now = ContinuousClock.now
                    if now - lastHeard > patience { throw RuntimeError.coordinatorSilent(seconds: options.coordinatorTimeoutSeconds) }
                    if now - lastSent >= heartbeatEvery {
                        try send(.heartbeat(Fedsim_V1_Heartbeat()), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
                        lastSent = now
                    }
                    continue
                }
                enqueue(frames)
            }
            while let more = try socket.receive(timeoutMilliseconds: 0) { enqueue(more) }
            lastHeard = .now
            guard !inbox.isEmpty else { continue }
            let envelope = inbox.removeFirst()
            switch envelope.body {
            case let .task(task)?:
                guard (envelope.round, envelope.attempt) >= newest else { continue }
                if options.delayPerTaskSeconds > 0 { usleep(UInt32(options.delayPerTaskSeconds * 1_000_000)) }
                try onTask(task, envelope: envelope, session: session, runID: runID)
                tasksDone += 1
                lastSent = ContinuousClock.now
            case let .assign(assign)?:
                hosted.formUnion(assign.clientIds.map(Int.init))
            case let .shutdown(shutdown)?:
                var confirmation = Fedsim_V1_Shutdown()
                confirmation.reason = "confirmed"
                try? send(.shutdown(confirmation), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
                return shutdown.reason
            case let .error(report)?:
                throw RuntimeError.refused(reason: report.message)
            default:
                continue
            }
        }
    }

    func onTask(_ wire: Fedsim_V1_ClientTask, envelope: Fedsim_V1_Envelope, session: WorkerSession, runID: String) throws {
        let client = Int(wire.clientID)
        let round = Int(clamping: envelope.round)
        // Sent as the client, so the coordinator fails that client at once instead of at the deadline.
        func fail(_ code: String, _ message: String) throws {
            var report = Fedsim_V1_ErrorReport()
            report.code = code
            report.message = "client \(client): \(message)"
            try send(.error(report), runID: runID, round: envelope.round, attempt: envelope.attempt, phase: envelope.phase,
                     receiver: "coordinator", sender: "client-\(client)")
        }
        guard hosted.contains(client), client < session.workload.shards.count else {
            return try fail("not_hosted", "not hosted by \(options.name)")
        }
        if session.dropsClient(client, round: round) { return }  // simulated client drop: no answer
        do {
            let task = try ClientTask(wire: wire)
            // The coordinator sends the state when this copy may be stale (a move, a resume, a failed round).
            if wire.stateIncluded { clientStates[client] = try ClientStateWire.decode(wire.clientState) }
            var state = clientStates[client] ?? [:]
            let keepsPrivate = session.algorithm.keepsPrivateState
            let base = Int(clamping: wire.privateStateRound)
            var privateState = keepsPrivate ? try privateStates.load(client: client, round: base) : [:]
            let computeStart = BLASTimer.monotonicNanoseconds()
            let blasStart = BLASTimer.nanoseconds
            let update = try session.train(task: task, client: client, round: round, state: &state, privateState: &privateState)
            clientStates[client] = state
            // An evaluation-only task changes nothing the client keeps.
            if keepsPrivate && envelope.phase != ClientEvaluation.phase {
                try privateStates.save(privateState, client: client, round: round, keptFrom: base)
            }
            var body = update.wireUpdate()
            body.clientID = UInt32(client)
            // Timing only: the coordinator sums these into timings.csv; no algorithm reads them.
            body.metrics[UpdateTiming.computeSeconds] = Double(BLASTimer.monotonicNanoseconds() - computeStart) / 1e9
            body.metrics[UpdateTiming.blasSeconds] = Double(BLASTimer.nanoseconds - blasStart) / 1e9
            body.clientState = ClientStateWire.encode(state)
            try send(.update(body), runID: runID, round: envelope.round, attempt: envelope.attempt, phase: envelope.phase,
                     receiver: "coordinator", sender: "client-\(client)")
        } catch let error as WireError {
            try fail(error.code, error.description)
        } catch let error as AlgorithmError {
            try fail("algorithm", error.reason)
        } catch let error as RuntimeError {
            try fail("private_state_missing", error.description)
        }
    }

    func send(_ body: Fedsim_V1_Envelope.OneOf_Body, runID: String, round: UInt64, attempt: UInt32, phase: String,
              receiver: String, sender: String? = nil) throws {
        sequence += 1
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.sender = sender ?? options.name
        envelope.receiver = receiver
        envelope.round = round
        envelope.phase = phase
        envelope.seq = sequence
        envelope.attempt = attempt
        envelope.body = body
        var frame = EnvelopeCodec.encode(envelope)
        if let tap = options.messageTap { frame = tap(frame) }
        try socket.send([frame])
    }
}
