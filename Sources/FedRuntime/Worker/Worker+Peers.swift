import FedAlgorithms
import FedCore
import FedModels
import FedWorkloads
import FedTransport
import FedWire
import Foundation

extension Worker {
    /// Serves a decentralized run: tells the coordinator where this worker's peers listen, learns where
    /// the others do, then runs every outer iteration of its peers, gossiping directly with the
    /// workers that host their neighbours (peers hosted here exchange in memory). After each iteration
    /// it reports each peer's point and state to the coordinator, which keeps metrics and checkpoints.
    func servePeers(session: WorkerSession, runID: String) throws -> String {
        guard let context, let algorithm = session.peerAlgorithm, let graph = session.topology.network.graph,
              let mixing = session.topology.network.mixing,
              let problem = WorkloadCatalog.peerProblem(session.workload.model) else {
            throw RuntimeError.setupFailed(reason: "a decentralized run needs a peer graph, a peer problem as its model and a ZeroMQ context")
        }
        let topology = session.topology
        let links = try openPeerLinks(context: context, maxMessageBytes: topology.federation.maxMessageBytes, runID: runID)
        defer { links.close() }
        let mesh: Fedsim_V1_MeshDirectory
        var resumed = [Int: PeerState]()
        switch try awaitCoordinator(runID: runID, states: &resumed) {
        case let .mesh(directory): mesh = directory
        case let .shutdown(reason): return reason
        }
        let peerWorker = mesh.peerWorker.map(Int.init)
        guard peerWorker.count == graph.nodeCount, peerWorker.allSatisfy({ $0 < mesh.endpoints.count }) else {
            throw RuntimeError.setupFailed(reason: "mesh directory does not match the \(graph.nodeCount)-node graph")
        }
        let peers = hosted.sorted()
        let me = peers.first.map { peerWorker[$0] } ?? -1
        let targets = Set(peers.flatMap { graph.neighbours[$0] }.map { peerWorker[$0] }.filter { $0 != me })
        var loop = PeerLoop(algorithm: algorithm, graph: graph, mixing: mixing, problem: problem, workload: session.workload,
                            seed: topology.seed, peers: peers, peerWorker: peerWorker, me: me, runID: runID,
                            maxMessageBytes: topology.federation.maxMessageBytes)
        do {
            try links.connect(to: targets, endpoints: mesh.endpoints, context: context, identity: PeerLoop.linkIdentity(worker: me))
            return try runIterations(&loop, links: links, session: session, runID: runID, from: Int(clamping: mesh.startIteration),
                                     resumed: resumed)
        } catch {
            // Tell the coordinator at once, so it stops the run with the real reason instead of a time-out.
            var report = Fedsim_V1_ErrorReport()
            report.code = "peer_failed"
            report.message = "\(options.name): \(error)"
            try? send(.error(report), runID: runID, round: UInt64(loop.current.iteration + 1), attempt: 0, phase: "", receiver: "coordinator")
            throw error
        }
    }

    /// Binds this worker's direct-channel socket and tells the coordinator where it listens.
    func openPeerLinks(context: ZMQContext, maxMessageBytes: Int, runID: String) throws -> PeerLinks {
        let links = try PeerLinks(context: context, coordinatorEndpoint: coordinatorEndpoint, workerName: options.name,
                                  advertiseHost: options.advertiseHost, maxMessageBytes: maxMessageBytes)
        var announce = Fedsim_V1_PeerEndpoint()
        announce.endpoint = links.advertised
        do { try send(.peerEndpoint(announce), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator") } catch {
            links.close()
            throw error
        }
        return links
    }

    /// The outer iterations of the hosted peers, then the wait for the coordinator's shutdown.
    func runIterations(_ loop: inout PeerLoop, links: PeerLinks, session: WorkerSession, runID: String, from start: Int,
                       resumed: [Int: PeerState]) throws -> String {
        let topology = session.topology, algorithm = loop.algorithm
        try loop.start(resumed: start > 0 ? resumed : nil)
        let patience = Duration.milliseconds(Int(topology.federation.timeoutSeconds * 1000))
        // Heartbeats go out on a timer across steps and iterations, so a worker whose peers are all
        // hosted here (and never wait) still shows the coordinator it is alive.
        var lastBeat = ContinuousClock.now
        func beat() throws {
            guard ContinuousClock.now - lastBeat >= .seconds(1) else { return }
            try send(.heartbeat(Fedsim_V1_Heartbeat()), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
            lastBeat = .now
        }
        for iteration in start..<max(start, topology.algorithm.rounds) {
            // Simulated crash: go silent, like a killed process (neighbours must time out).
            if let limit = options.failAfterIterations, iteration >= limit { return "simulated failure after \(limit) iterations" }
            for stepIndex in algorithm.steps.indices {
                for (worker, payload) in try loop.prepare(iteration: iteration, stepIndex: stepIndex) {
                    try links.send(payload, to: worker)
                }
                let deadline = ContinuousClock.now + patience
                try beat()
                if let stop = try coordinatorStop(runID: runID) { return stop }
                while !loop.hasAllContributions(iteration: iteration, stepIndex: stepIndex) {
                    let now = ContinuousClock.now
                    if now >= deadline {
                        let reason = loop.missingDescription(iteration: iteration, stepIndex: stepIndex, seconds: topology.federation.timeoutSeconds)
                        throw RuntimeError.peerFailed(iteration: iteration + 1, reason: reason)
                    }
                    try beat()
                    let ready = try Poller.waitReadable([links.inbound, socket], timeoutMilliseconds: 100)
                    if ready.contains(0) {
                        while let frames = try links.inbound.receive(timeoutMilliseconds: 0), frames.count == 2 {
                            loop.receive(identity: frames[0], frames[1], limit: topology.federation.maxMessageBytes)
                        }
                    }
                    if ready.contains(1), let stop = try coordinatorStop(runID: runID) { return stop }
                }
                try loop.advance(iteration: iteration, stepIndex: stepIndex)
            }
            for (peer, update) in try loop.reports(iteration: iteration) {
                try send(.update(update), runID: runID, round: UInt64(iteration + 1), attempt: 0, phase: "report",
                         receiver: "coordinator", sender: "peer-\(peer)")
            }
        }
        var ignored = [Int: PeerState]()
        switch try awaitCoordinator(runID: runID, states: &ignored) {
        case let .shutdown(reason): return reason
        case .mesh: return "unexpected second mesh directory"
        }
    }

    enum CoordinatorWord { case mesh(Fedsim_V1_MeshDirectory), shutdown(String) }

    /// Waits for the mesh directory or a shutdown, sending heartbeats, within the coordinator time-out;
    /// peer states sent ahead of the directory (a resumed run) land in `states`.
    func awaitCoordinator(runID: String, states: inout [Int: PeerState]) throws -> CoordinatorWord {
        try awaitCoordinator(runID: runID) { envelope throws -> CoordinatorWord? in
            switch envelope.body {
            case let .mesh(directory)?: return .mesh(directory)
            case let .task(task)? where task.stateIncluded && hosted.contains(Int(task.clientID)):
                states[Int(task.clientID)] = try ClientStateWire.decode(task.clientState)
                return nil
            case let .shutdown(shutdown)?:
                confirmShutdown(runID: runID)
                return .shutdown(shutdown.reason)
            case let .error(report)?: throw RuntimeError.refused(reason: report.message)
            default: return nil
            }
        }
    }

    /// Handles whatever the coordinator sent while peers were gossiping; a shutdown ends the run.
    func coordinatorStop(runID: String) throws -> String? {
        options.liveness?.beat()
        while let frames = try socket.receive(timeoutMilliseconds: 0) {
            guard let payload = frames.last, let envelope = try? EnvelopeCodec.decode(payload, limit: Int.max) else { continue }
            switch envelope.body {
            case let .shutdown(shutdown)?:
                confirmShutdown(runID: runID)
                return shutdown.reason
            case let .error(report)?: throw RuntimeError.refused(reason: report.message)
            default: continue
            }
        }
        return nil
    }

    func confirmShutdown(runID: String) {
        var confirmation = Fedsim_V1_Shutdown()
        confirmation.reason = "confirmed"
        try? send(.shutdown(confirmation), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
    }
}
