import FedAlgorithms
import FedCore
import FedModels
import FedReport
import FedTransport
import FedWire
import FedWorkloads
import Foundation

/// Owns a run: admits workers, drives rounds, evaluates, and writes the run directory.
///
/// Single-threaded over one ROUTER socket. Every received frame is decoded and validated before it
/// can touch state; anything wrong is rejected with a reason in events.jsonl and counted. Updates are
/// aggregated in client-id order, so results do not depend on arrival order or process layout.
public final class Coordinator {
    /// Start-up settings that do not come from the topology file.
    public struct Options: Sendable {
        /// The YAML sent to workers (they decode the same topology).
        public var configYAML: String
        /// Show the live progress line on stderr.
        public var showProgress: Bool
        /// Continue from the run directory's checkpoint instead of starting at round 1.
        public var resume: Bool
        /// Kept fresh while the coordinator's loop runs (for container health checks); nil: none.
        public var liveness: LivenessBeacon?
        public init(configYAML: String, showProgress: Bool = true, resume: Bool = false, liveness: LivenessBeacon? = nil) {
            self.configYAML = configYAML
            self.showProgress = showProgress
            self.resume = resume
            self.liveness = liveness
        }
    }

    /// What a finished run reports.
    public struct Summary: Sendable {
        public var rounds: Int
        public var finalAccuracy: Double
        public var finalLoss: Double
        public var finalParameters: [Float]
        public var rejectedMessages: Int
        /// Per round: seconds the coordinator spent on its own work (not waiting for clients).
        public var coordinatorSeconds: [Double]
        public var roundSeconds: [Double]
    }

    let topology: Topology
    let workload: PreparedWorkload
    /// The star algorithm (nil in a decentralized run).
    let starAlgorithm: (any StarAlgorithm)?
    /// The decentralized algorithm (nil in a star run).
    let peerAlgorithm: (any PeerAlgorithm)?
    var algorithm: any StarAlgorithm {
        guard let starAlgorithm else { preconditionFailure("a decentralized run has no star algorithm") }
        return starAlgorithm
    }
    /// The layout the current round's updates must match (it may change with the round's phase).
    var updateLayout: ParameterLayout
    let socket: ZMQSocket
    /// Connection events of `socket`, when monitored.
    let monitor: SocketMonitor?
    let runDirectory: RunDirectory
    let events: EventLog
    let options: Options
    let runID: String
    var registry = WorkerRegistry()
    var sequence: UInt64 = 0
    var round = 0
    var attempt = 0
    var phase = ""
    /// Clients sampled in the current attempt that have not answered yet.
    var pending = Set<Int>()
    /// Accepted updates of the current attempt, by client id.
    var received = [Int: ClientUpdate]()
    /// Tasks of the current exchange not sent yet (flow control: `sendQueuedTasks`), and the bytes of
    /// each sent task whose client has not answered.
    var unsentTasks = [ClientTask]()
    var taskBytes = [Int: Int]()
    var bytesUp = 0
    var bytesDown = 0
    var bytesState = 0
    /// Worker-reported seconds of client computation this round, and the BLAS part of it.
    var clientComputeSeconds = 0.0
    var clientBLASSeconds = 0.0
    /// The authoritative persistent state of each client (absent: none yet).
    var clientStates = [Int: ClientState]()
    /// For each client, the worker whose copy of its state equals `clientStates` (absent: unknown).
    var stateHolder = [Int: Int]()
    /// For each client, the round of its last update that went into an aggregate: its worker continues
    /// the client's private state from the copy saved after that round.
    var privateStateRounds = [Int: Int]()
    var rejectedThisRound = 0
    var rejectedTotal = 0
    /// Set when a worker reports it cannot set itself up; admission stops with this reason.
    var workerSetupFailure: String?
    /// Workers that confirmed a Shutdown.
    var shutdownConfirmed = Set<Int>()
    /// Decentralized runs: each worker's gossip endpoint, the peers' reports by iteration, the first
    /// peer failure a worker reported, and gossip that reached the coordinator (must stay 0).
    var peerEndpoints = [Int: String]()
    var peerReports = [Int: [Int: PeerReport]]()
    var peerFailure: String?
    /// One peer's accepted report of one iteration, with its envelope size (that iteration's bytes_up).
    struct PeerReport { let update: ClientUpdate, state: ClientState, bytes: Int }
    var gossipReceived = 0

    /// - Parameters:
    ///   - socket: a bound ROUTER socket (its `ZMQ_MAXMSGSIZE` set before binding, see `RunHost`).
    ///   - monitor: the socket's connection events, logged as they come.
    public init(topology: Topology, workload: PreparedWorkload, socket: ZMQSocket, monitor: SocketMonitor? = nil,
                runDirectory: RunDirectory, events: EventLog, options: Options) throws {
        self.topology = topology
        self.workload = workload
        if topology.network.isPeerToPeer {
            starAlgorithm = nil
            peerAlgorithm = try topology.makePeerAlgorithm(model: workload.model)
            updateLayout = workload.model.layout  // peers report their (x, y)
        } else {
            let star = try topology.makeAlgorithm(model: workload.model)
            starAlgorithm = star
            peerAlgorithm = nil
            updateLayout = star.updateLayout(modelLayout: workload.model.layout)
        }
        self.socket = socket
        self.monitor = monitor
        self.runDirectory = runDirectory
        self.events = events
        self.options = options
        self.runID = "\(topology.name)-\(topology.seed)"
    }

    /// Runs every round and writes the results; returns a summary.
    ///
    /// Round t's model is evaluated on a background thread while round t+1 trains; its metrics row is
    /// written once that evaluation is in, so rows still appear in round order.
    ///
    /// - Throws: `RuntimeError` when the run cannot continue (missing workers, lost quorum).
    public func run() throws -> Summary {
        if peerAlgorithm != nil { return try runPeers() }
        let start = try resumePoint()
        let recorder = try RoundRecorder(runDirectory: runDirectory, keepingRoundsThrough: start.keptRows,
                                         extraColumns: algorithm.metricNames + workload.model.evaluationMetricNames,
                                         progress: options.showProgress ? ProgressLine(total: topology.algorithm.rounds) : nil,
                                         headlineMetric: workload.model.headlineMetric.name)
        defer { recorder.close() }
        let runStart = ContinuousClock.now
        if let statistics = workload.clientStatisticsCSV {
            try runDirectory.writeAtomically(RunDirectory.File.clients, Data(statistics.utf8))
        }
        if let recommender = workload.recommender {
            events.record("interactions", ["users": recommender.data.userCount, "items": recommender.data.itemCount,
                                           "train": recommender.data.training.count, "skipped_rows": recommender.skippedRows.count])
        }
        if let graph = workload.graph {
            events.record("graph_split", ["clients": graph.shards.count, "kept_edges": graph.shards.map(\.edges.count).reduce(0, +),
                                          "cut_edges": graph.cutEdges])
        }
        try admitWorkers()
        markInitialStateHolders()
        var state = start.state
        let evaluator = BackgroundEvaluator(model: workload.model, test: workload.split.test)
        // Clients that hold the test data report round r's evaluation at the start of round r + 1
        // (and in an evaluation-only exchange after the last round), so rows stay one round late.
        let onClients = workload.evaluatesOnClients
        var clientReport: BackgroundEvaluator.Result?
        var pendingRow: RoundRecorder.Row?
        var summary = Summary(rounds: start.round, finalAccuracy: .nan, finalLoss: .nan, finalParameters: state.parameters,
                              rejectedMessages: 0, coordinatorSeconds: [], roundSeconds: [])
        func flush() {
            guard let row = pendingRow, let evaluation = onClients ? clientReport : evaluator.collect() else { return }
            recorder.append(row, evaluation: evaluation)
            summary.finalAccuracy = evaluation.accuracy
            summary.finalLoss = evaluation.loss
            pendingRow = nil
            clientReport = nil
        }
        if let row = start.unwrittenRow {
            // The checkpoint's own round was never written (the run stopped while the next round
            // trained): its evaluation is deterministic, so recompute it (or, on the clients, take
            // it from the next round's reports).
            pendingRow = row
            if !onClients {
                evaluator.start(state.parameters)
                flush()
            }
        }
        if start.round >= topology.algorithm.rounds { events.record("nothing_to_resume", ["round": start.round]) }
        for current in stride(from: start.round + 1, through: topology.algorithm.rounds, by: 1) {
            round = current
            bytesUp = 0
            bytesDown = 0
            bytesState = 0
            clientComputeSeconds = 0
            clientBLASSeconds = 0
            rejectedThisRound = 0
            let roundStart = ContinuousClock.now
            let outcome: (RoundResult, Int, Int, Double)
            do {
                outcome = try runRound(state: state)
            } catch {
                flush()  // keep the last good round's row
                throw error
            }
            let (result, participants, failures, waited) = outcome
            state = result.state
            if onClients { clientReport = clientEvaluation(received.keys.sorted().compactMap { received[$0] }) }
            flush()  // the previous round's evaluation ran while this round trained
            if !onClients { evaluator.start(state.parameters) }
            var metrics = result.metrics
            metrics["round"] = Double(round)
            metrics["wall_s"] = seconds(since: runStart)
            metrics["bytes_up"] = Double(bytesUp)
            metrics["bytes_down"] = Double(bytesDown)
            metrics["bytes_state"] = Double(bytesState)
            metrics["participants"] = Double(participants)
            metrics["failures"] = Double(failures)
            metrics["rejected"] = Double(rejectedThisRound)
            let roundSeconds = seconds(since: roundStart)
            pendingRow = RoundRecorder.Row(metrics: metrics, roundSeconds: roundSeconds, coordinatorSeconds: roundSeconds - waited,
                                           clientComputeSeconds: clientComputeSeconds, clientBLASSeconds: clientBLASSeconds)
            try writeCheckpoint(state, row: pendingRow)
            summary.coordinatorSeconds.append(roundSeconds - waited)
            summary.roundSeconds.append(roundSeconds)
        }
        if onClients, pendingRow != nil { clientReport = finalClientEvaluation(state) }
        flush()
        try writeModel(state.parameters, to: RunDirectory.File.model)
        shutdownWorkers(reason: "run complete")
        events.record("run_complete", ["rounds": round, "rejected_total": rejectedTotal])
        summary.rounds = max(round, start.round)
        summary.finalParameters = state.parameters
        summary.rejectedMessages = rejectedTotal
        return summary
    }

    /// Tells every worker to exit and waits (at most about two seconds) until the live ones confirm.
    ///
    /// Unconfirmed workers are asked again every 200 ms: a Shutdown sent just before the socket
    /// closes can be lost, and a worker that never hears it would wait for its coordinator time-out.
    /// Dropped workers get one best-effort Shutdown (a slow one should not linger either).
    public func shutdownWorkers(reason: String) {
        var shutdown = Fedsim_V1_Shutdown()
        shutdown.reason = reason
        for record in registry.records where !record.alive {
            send(.shutdown(shutdown), to: record.identity, receiver: record.name)
        }
        shutdownConfirmed = []
        for _ in 0..<10 {
            let waiting = registry.records.filter { $0.alive && !shutdownConfirmed.contains($0.index) }
            if waiting.isEmpty { return }
            for record in waiting { send(.shutdown(shutdown), to: record.identity, receiver: record.name) }
            let deadline = ContinuousClock.now + .milliseconds(200)
            while ContinuousClock.now < deadline, registry.records.contains(where: { $0.alive && !shutdownConfirmed.contains($0.index) }) {
                try? pump(timeoutMilliseconds: 20)
            }
        }
        let silent = registry.records.filter { $0.alive && !shutdownConfirmed.contains($0.index) }.map(\.name)
        if !silent.isEmpty { events.record("shutdown_unconfirmed", ["workers": silent.joined(separator: ",")]) }
    }

    // MARK: - Sending

    /// Encodes and sends one envelope; returns its size in bytes (0 if the transport refused it).
    @discardableResult
    func send(_ body: Fedsim_V1_Envelope.OneOf_Body, to identity: [UInt8], receiver: String, sender: String = "coordinator") -> Int {
        sequence += 1
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.sender = sender
        envelope.receiver = receiver
        envelope.round = UInt64(round)
        envelope.phase = phase
        envelope.seq = sequence
        envelope.attempt = UInt32(attempt)
        envelope.body = body
        let bytes = EnvelopeCodec.encode(envelope)
        do {
            try socket.send([identity, bytes])
        } catch {
            events.record("send_failed", ["receiver": receiver, "reason": error.description])
            return 0
        }
        return bytes.count
    }

    func writeModel(_ parameters: [Float], to name: String) throws {
        let data = ModelFile.encode(parameters: parameters, layout: workload.model.layout, round: round,
                                    algorithm: starAlgorithm?.name ?? peerAlgorithm?.name ?? "")
        try runDirectory.writeAtomically(name, data)
    }
}
