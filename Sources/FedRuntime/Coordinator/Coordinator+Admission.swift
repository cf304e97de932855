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
        for record in registry.records {
            var ack = Fedsim_V1_JoinAck()
            ack.runID = runID
            ack.configYaml = options.configYAML
            ack.configFile = topology.sourceFile
            ack.clientIds = record.clients.sorted().map(UInt32.init)
            ack.workerIndex = UInt32(record.index)
            send(.joinAck(ack), to: record.identity, receiver: record.name)
        }
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
        guard round == 0, registry.count < topology.processes.workers else {
            reject(identity: identity, reason: "worker '\(join.workerName)' joined after the run started",
                   code: "late_join", reply: true)
            return
        }
        guard join.blasCore == Matmul.coreName || join.blasCore.isEmpty else {
            reject(identity: identity, reason: "worker '\(join.workerName)' uses OpenBLAS kernels '\(join.blasCore)', the coordinator "
                   + "'\(Matmul.coreName)'; results would differ in the last bits. Set OPENBLAS_CORETYPE to the same value on every host",
                   code: "blas_mismatch", reply: true)
            return
        }
        guard let index = registry.add(identity: identity, name: join.workerName, now: .now) else {
            reject(identity: identity, reason: "duplicate join from '\(join.workerName)'", code: "duplicate_join", reply: false)
            return
        }
        events.record("join", ["worker": join.workerName, "index": index, "pid": Int(join.pid), "host": join.hostname])
        // Admitted: tell the worker now, so it keeps waiting for the others without giving up.
        send(.heartbeat(Fedsim_V1_Heartbeat()), to: identity, receiver: join.workerName)
    }
}
