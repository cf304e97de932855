import FedCore
import FedTransport
import FedWire
import Foundation

extension Coordinator {
    /// Waits until `processes.workers` workers have joined, then tells each which clients it hosts.
    func admitWorkers() throws {
        let expected = topology.processes.workers
        let deadline = ContinuousClock.now + .milliseconds(Int(topology.federation.joinTimeoutSeconds * 1000))
        while registry.count < expected {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw RuntimeError.workersMissing(joined: registry.count, expected: expected,
                                                  waitedSeconds: topology.federation.joinTimeoutSeconds)
            }
            let waitMs = Int32(clamping: min(remaining.components.seconds * 1000 + 1, 200))
            try pump(timeoutMilliseconds: waitMs)
        }
        registry.assignClients(count: topology.federation.clients)
        for record in registry.records { sendJoinAck(to: record) }
        // Workers load data and build the partition before their ready heartbeat; rounds start only
        // when all are ready, so set-up time never counts against a round's time-out. Set-up has a
        // deadline of its own.
        let readyDeadline = ContinuousClock.now + .milliseconds(Int(topology.federation.joinTimeoutSeconds * 1000))
        while !registry.allReady {
            if let failure = workerSetupFailure { throw RuntimeError.setupFailed(reason: failure) }
            let remaining = readyDeadline - ContinuousClock.now
            guard remaining > .zero else {
                let slow = registry.records.filter { !$0.ready }.map(\.name).joined(separator: ", ")
                throw RuntimeError.setupFailed(reason: "workers not ready within join_timeout_s: \(slow)")
            }
            try pump(timeoutMilliseconds: 100)
        }
        for record in registry.records {
            events.record("worker_ready", ["worker": record.name, "clients": record.clients.count])
        }
    }

    /// A Join from a new process: accepted while admitting, refused once the run has started.
    func onJoin(_ join: Fedsim_V1_Join, identity: [UInt8]) {
        guard join.protocolVersion == EnvelopeCodec.protocolVersion else {
            reject(identity: identity, reason: "protocol version \(join.protocolVersion) is not \(EnvelopeCodec.protocolVersion)",
                   code: "bad_version", reply: true)
            return
        }
        let started = round > 0
        if let refusal = joinRefusal(started: started) {
            reject(identity: identity, reason: "worker '\(join.workerName)' \(refusal)", code: "late_join", reply: true)
            return
        }
        if let mismatch = BLASCompatibility.mismatch(worker: join, coordinatorCore: Matmul.coreName,
                                                     coordinatorLibrary: Matmul.libraryDescription) {
            reject(identity: identity, reason: "worker '\(join.workerName)' \(mismatch)", code: "blas_mismatch", reply: true)
            return
        }
        guard let index = registry.add(identity: identity, name: join.workerName, now: .now) else {
            reject(identity: identity, reason: "duplicate join from '\(join.workerName)'", code: "duplicate_join", reply: false)
            return
        }
        events.record("join", ["worker": join.workerName, "index": index, "pid": Int(join.pid), "host": join.hostname,
                               "standby": started])
        if join.blasCore.isEmpty {
            let warning = "worker '\(join.workerName)' did not report its BLAS kernels; bit-identical results are not guaranteed"
            FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            events.record("warning", ["message": warning])
        }
        // Admitted: tell the worker now, so it keeps waiting for the others without giving up. A
        // worker joining a running star run (a restarted container or pod) gets the configuration at
        // once and stands by, hosting no client, until the start of a round promotes it.
        if started {
            sendJoinAck(to: registry.records[index])
        } else {
            send(.heartbeat(Fedsim_V1_Heartbeat()), to: identity, receiver: join.workerName)
        }
    }

    /// Why a Join cannot be admitted now, or nil. Before the first round, up to `processes.workers`
    /// workers join. Once a star run is under way, a worker may join to replace one that died; at most
    /// `processes.workers` such standby workers wait at a time, so joins cannot grow without bound.
    func joinRefusal(started: Bool) -> String? {
        let expected = topology.processes.workers
        guard started else { return registry.count < expected ? nil : "joined after the run started (all \(expected) workers are in)" }
        if peerAlgorithm != nil { return "joined after the peer mesh was built; a decentralized run cannot take new workers" }
        return registry.aliveCount < 2 * expected ? nil : "joined a running run that already has \(expected) standby workers"
    }

    /// Sends a worker its JoinAck: the run id, the resolved configuration and the clients it hosts.
    func sendJoinAck(to record: WorkerRegistry.Record) {
        var ack = Fedsim_V1_JoinAck()
        ack.runID = runID
        ack.configYaml = options.configYAML
        ack.configFile = topology.sourceFile
        ack.clientIds = record.clients.sorted().map(UInt32.init)
        ack.workerIndex = UInt32(record.index)
        send(.joinAck(ack), to: record.identity, receiver: record.name)
    }

    /// At the start of an attempt: while fewer than `processes.workers` live workers host clients, a
    /// standby worker takes a share of them (and every client left without a host).
    func promoteStandbyWorkers() {
        for index in registry.standbyWorkers where registry.activeCount < topology.processes.workers {
            let clients = registry.promote(index)
            for client in clients { stateHolder[client] = nil }  // the new host has no copy of their state
            let record = registry.records[index]
            events.record("worker_promoted", ["worker": record.name, "round": round, "clients": clients.count])
            var assign = Fedsim_V1_AssignClients()
            assign.clientIds = clients.map(UInt32.init)
            send(.assign(assign), to: record.identity, receiver: record.name)
        }
    }
}
