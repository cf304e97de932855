import FedAlgorithms
import FedCore
import FedModels
import FedWorkloads
import FedReport
import FedWire
import Foundation

extension Coordinator {
    /// A decentralized run: admit the workers, tell each where the others' peers listen, then only
    /// collect. Peers gossip among themselves; after every outer iteration each reports its point and
    /// state, from which the coordinator writes a metrics row for the network's average point. A peer
    /// failure (a worker's peers timed out on a neighbour, or a worker went silent) stops the run with
    /// the failure in events.jsonl and the rows of every complete iteration kept.
    func runPeers() throws -> Summary {
        guard let peerAlgorithm, let graph = topology.network.graph else { preconditionFailure("not a decentralized run") }
        let evaluated = workload.model.evaluationMetricNames
        let headline = WorkloadCatalog.peerHeadline(workload.model)
        let columns = WorkloadCatalog.peerDerivedColumns + WorkloadCatalog.peerNetworkColumns
            + ["gossip_floats_per_node", "bytes_gossip", "gossip_rejected"]
            + peerAlgorithm.metricNames + evaluated
        let start = try peerResumePoint()
        let recorder = try RoundRecorder(runDirectory: runDirectory, keepingRoundsThrough: start.iteration, extraColumns: columns,
                                         progress: options.showProgress ? ProgressLine(total: topology.algorithm.rounds) : nil,
                                         headlineMetric: headline)
        defer { recorder.close() }
        let runStart = ContinuousClock.now
        try admitWorkers()
        if start.iteration > 0 { sendPeerStates() }
        try buildMesh(startIteration: start.iteration)
        var summary = Summary(rounds: start.iteration, finalAccuracy: .nan, finalLoss: .nan, finalParameters: [], rejectedMessages: 0,
                              coordinatorSeconds: [], roundSeconds: [])
        let workspace = workload.model.makeWorkspace(batchCapacity: 256)
        var average = start.average
        if start.iteration >= topology.algorithm.rounds { events.record("nothing_to_resume", ["round": start.iteration]) }
        for iteration in stride(from: start.iteration + 1, through: topology.algorithm.rounds, by: 1) {
            round = iteration
            let iterationStart = ContinuousClock.now
            try pump(timeoutMilliseconds: 0)  // answer heartbeats even when the reports are already in
            let waited = try awaitPeerReports(iteration: iteration, peers: graph.nodeCount)
            let reports = peerReports.removeValue(forKey: iteration) ?? [:]
            let own = ContinuousClock.now
            var metrics = try networkAverage(reports, into: &average)
            let evaluationStart = ContinuousClock.now
            let evaluation = workload.model.evaluationMetrics(parameters: average, on: workload.split.test, workspace: workspace)
            metrics.merge(WorkloadCatalog.peerDerivedMetrics(evaluation)) { $1 }
            metrics["round"] = Double(iteration)
            metrics["wall_s"] = seconds(since: runStart)
            metrics["participants"] = Double(reports.count)
            metrics["failures"] = 0
            metrics["rejected"] = Double(rejectedThisRound)
            rejectedThisRound = 0
            let roundSeconds = seconds(since: iterationStart)
            let row = RoundRecorder.Row(metrics: metrics, roundSeconds: roundSeconds, coordinatorSeconds: seconds(since: own),
                                        clientComputeSeconds: 0, clientBLASSeconds: 0)
            recorder.append(row, evaluation: BackgroundEvaluator.Result(metrics: evaluation, seconds: seconds(since: evaluationStart)))
            // Every peer's full state (trackers included), so a resumed run continues exactly.
            for (peer, report) in reports { clientStates[peer] = report.state }
            try writeCheckpoint(ServerState(parameters: average), row: nil)
            summary.roundSeconds.append(roundSeconds)
            summary.coordinatorSeconds.append(roundSeconds - waited)
            summary.finalAccuracy = evaluation["test_accuracy"] ?? .nan
            summary.finalLoss = evaluation["test_loss"] ?? .nan
        }
        try writeModel(average, to: RunDirectory.File.model)
        shutdownWorkers(reason: "run complete")
        events.record("run_complete", ["rounds": topology.algorithm.rounds, "rejected_total": rejectedTotal,
                                       "gossip_received_by_coordinator": gossipReceived])
        summary.rounds = max(topology.algorithm.rounds, start.iteration)
        summary.finalParameters = average
        summary.rejectedMessages = rejectedTotal
        return summary
    }

    /// A resumed run: each worker gets its peers' checkpointed states (one task per peer, state included)
    /// before the mesh directory, which tells it where to continue.
    func sendPeerStates() {
        for peer in clientStates.keys.sorted() {
            guard let host = registry.hostOf[peer], let state = clientStates[peer] else { continue }
            var task = Fedsim_V1_ClientTask()
            task.clientID = UInt32(peer)
            task.stateIncluded = true
            task.clientState = ClientStateWire.encode(state)
            send(.task(task), to: registry.records[host].identity, receiver: registry.records[host].name)
        }
    }

    /// Waits for every worker's gossip endpoint, then sends each the directory of all of them.
    func buildMesh(startIteration: Int) throws {
        let deadline = ContinuousClock.now + .milliseconds(Int(topology.federation.joinTimeoutSeconds * 1000))
        while peerEndpoints.count < registry.count {
            if let failure = workerSetupFailure { throw RuntimeError.setupFailed(reason: failure) }
            guard ContinuousClock.now < deadline else {
                let missing = registry.records.filter { peerEndpoints[$0.index] == nil }.map(\.name).joined(separator: ", ")
                throw RuntimeError.setupFailed(reason: "no gossip endpoint from \(missing) within join_timeout_s")
            }
            try pump(timeoutMilliseconds: 100)
        }
        var mesh = Fedsim_V1_MeshDirectory()
        mesh.endpoints = registry.records.map { peerEndpoints[$0.index] ?? "" }
        mesh.peerWorker = (0..<topology.federation.clients).map { UInt32(registry.hostOf[$0] ?? 0) }
        mesh.startIteration = UInt64(startIteration)
        for record in registry.records { send(.mesh(mesh), to: record.identity, receiver: record.name) }
        events.record("mesh_ready", ["network": topology.network.kind, "rho": topology.network.rho ?? .nan,
                                     "endpoints": mesh.endpoints.joined(separator: " ")])
    }

    /// Pumps until all `peers` reported `iteration`. Stops the run when a worker reports a peer
    /// failure or a worker holding an unreported peer stays silent for `timeout_s`.
    func awaitPeerReports(iteration: Int, peers: Int) throws -> Double {
        let start = ContinuousClock.now
        let silence = Duration.milliseconds(Int(topology.federation.timeoutSeconds * 1000))
        while (peerReports[iteration]?.count ?? 0) < peers {
            if let failure = peerFailure {
                events.record("peer_failed", ["iteration": iteration, "reason": failure])
                shutdownWorkers(reason: "peer failure: \(failure)")
                throw RuntimeError.peerFailed(iteration: iteration, reason: failure)
            }
            let now = ContinuousClock.now
            let reported = peerReports[iteration] ?? [:]
            for record in registry.records where record.alive && now - max(record.lastSeen, start) >= silence
                && record.clients.contains(where: { reported[$0] == nil }) {
                let reason = "\(record.name) (peers \(record.clients.sorted().map(String.init).joined(separator: ", "))) "
                    + "sent nothing for \(topology.federation.timeoutSeconds) s"
                events.record("peer_failed", ["iteration": iteration, "reason": reason])
                shutdownWorkers(reason: "peer failure: \(reason)")
                throw RuntimeError.peerFailed(iteration: iteration, reason: reason)
            }
            try pump(timeoutMilliseconds: 100)
        }
        return seconds(since: start)
    }

    /// A peer's report of one iteration: its (x, y) as the model's tensors, its metrics and state.
    func onPeerReport(_ wire: Fedsim_V1_ClientUpdate, envelope: Fedsim_V1_Envelope, worker: Int, size: Int) {
        let name = registry.records[worker].name
        let peer = Int(wire.clientID)
        let iteration = Int(clamping: envelope.round)
        guard registry.hostOf[peer] == worker else {
            return reject(worker: name, reason: "peer \(peer) is not hosted by \(name)", code: "unknown_sender")
        }
        guard iteration >= max(round, 1), iteration <= topology.algorithm.rounds, peerReports[iteration]?[peer] == nil else {
            return reject(worker: name, reason: "unexpected report of peer \(peer) for iteration \(iteration)", code: "stale_round")
        }
        do {
            let update = try ClientUpdate(wire: wire)
            try updateLayout.validate(update.tensors)
            let state = try ClientStateWire.decode(wire.clientState)
            peerReports[iteration, default: [:]][peer] = PeerReport(update: update, state: state, bytes: size)
        } catch {
            // The run cannot complete this iteration without the report: stop with the reason.
            reject(worker: name, reason: "peer \(peer): \(error)", code: "bad_report")
            if peerFailure == nil { peerFailure = "\(name): the report of peer \(peer) for iteration \(iteration) was rejected: \(error)" }
        }
    }

    /// The network average of the peers' points (into `average`) and the iteration's network metrics.
    func networkAverage(_ reports: [Int: PeerReport], into average: inout [Float]) throws -> [String: Double] {
        let layout = workload.model.layout
        let peers = reports.keys.sorted()
        var points = [[Float]]()
        for peer in peers { points.append(try layout.flatten(reports[peer]!.update.tensors)) }
        let network = WorkloadCatalog.peerNetworkSummary(points, model: workload.model)
        average = network.average
        func total(_ key: String) -> Double { peers.reduce(0) { $0 + (reports[$1]!.update.metrics[key] ?? 0) } }
        var metrics: [String: Double] = [
            "gossip_floats_per_node": total("gossip_floats") / Double(max(peers.count, 1)),
            "bytes_gossip": total("gossip_bytes"), "gossip_rejected": total("gossip_rejected"),
            // Counted per iteration from its own reports, whenever they arrived (fast peers report early).
            "bytes_up": Double(peers.reduce(0) { $0 + reports[$1]!.bytes }), "bytes_down": 0, "bytes_state": 0, "train_loss": .nan,
        ]
        metrics.merge(network.metrics) { $1 }
        for name in peerAlgorithm?.metricNames ?? [] { metrics[name] = total(name) / Double(max(peers.count, 1)) }
        return metrics
    }
}
