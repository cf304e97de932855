import FedAlgorithms
import FedCore
import FedTransport
import FedWire
import Foundation

extension Coordinator {
    /// Waits up to `timeoutMilliseconds` for traffic, then handles every waiting message and
    /// connection event.
    func pump(timeoutMilliseconds: Int32) throws(TransportError) {
        options.liveness?.beat()
        guard let monitor else {
            if let frames = try socket.receive(timeoutMilliseconds: timeoutMilliseconds) { handle(frames) }
            return
        }
        let ready = try Poller.waitReadable([socket, monitor.socket], timeoutMilliseconds: timeoutMilliseconds)
        if ready.contains(1) {
            while let event = try monitor.next(timeoutMilliseconds: 0) { onConnectionEvent(event) }
        }
        if ready.contains(0), let frames = try socket.receive(timeoutMilliseconds: 0) { handle(frames) }
    }

    /// Logs what the transport did on its own. A peer that sent more than the transport cap
    /// (twice `max_message_mb`) is disconnected by libzmq before its message is read; that, a crash
    /// and a normal exit all show up here as `peer_disconnected`.
    func onConnectionEvent(_ event: SocketEvent) {
        switch event.kind {
        case .disconnected:
            events.record("peer_disconnected", ["address": event.address, "round": round])
        case .handshakeFailed:
            rejectedThisRound += 1
            rejectedTotal += 1
            events.record("rejected", ["from": event.address, "code": "handshake_failed",
                                       "reason": "transport handshake failed (error \(event.value))", "round": round])
        default:
            break
        }
    }

    /// Decodes, validates and dispatches one received multipart message. Never throws: whatever is
    /// wrong with a message is logged, counted and dropped.
    func handle(_ frames: [[UInt8]]) {
        guard frames.count == 2 else {
            reject(identity: frames.first ?? [], reason: "expected 2 frames (identity, envelope), got \(frames.count)",
                   code: "bad_framing", reply: false)
            return
        }
        let identity = frames[0], payload = frames[1]
        // Any frame from a known worker, even a bad one, shows the process is alive.
        let worker = registry.index(of: identity)
        if let worker { registry.touch(worker, now: .now) }
        // A stranger may only join, and a Join is small: anything bigger is dropped before decoding.
        if worker == nil && payload.count > Self.largestJoinBytes {
            return reject(identity: identity, reason: "\(payload.count)-byte message from an unknown sender", code: "unknown_sender",
                          reply: false)
        }
        let envelope: Fedsim_V1_Envelope
        do {
            envelope = try EnvelopeCodec.decode(payload, limit: topology.federation.maxMessageBytes)
        } catch {
            reject(identity: identity, reason: error.description, code: error.code, reply: false)
            return
        }
        if case let .join(join)? = envelope.body { return onJoin(join, identity: identity) }
        guard let worker else {
            return reject(identity: identity, reason: "message from unknown sender '\(envelope.sender)'", code: "unknown_sender", reply: false)
        }
        let name = registry.records[worker].name
        // Before its JoinAck a worker does not know the run id yet.
        guard envelope.runID == runID || (envelope.runID.isEmpty && !registry.records[worker].ready) else {
            return reject(worker: name, reason: "run id '\(envelope.runID)' is not '\(runID)'", code: "wrong_run")
        }
        switch envelope.body {
        case let .heartbeat(beat)?:
            if beat.ready && !envelope.runID.isEmpty { registry.markReady(worker) }
            send(.heartbeat(Fedsim_V1_Heartbeat()), to: identity, receiver: name)
        case let .update(update)?:
            guard registry.records[worker].alive else {
                return reject(worker: name, reason: "update from dropped worker \(name)", code: "unknown_sender")
            }
            if peerAlgorithm != nil { return onPeerReport(update, envelope: envelope, worker: worker, size: payload.count) }
            onUpdate(update, envelope: envelope, worker: worker, size: payload.count)
        case let .peerEndpoint(announce)?:
            peerEndpoints[worker] = announce.endpoint
        case .gossip?:
            // Gossip goes between workers; one reaching the coordinator is a routing error.
            gossipReceived += 1
            reject(worker: name, reason: "gossip sent to the coordinator", code: "unexpected_kind")
        case .shutdown?:
            shutdownConfirmed.insert(worker)
        case let .error(report)?:
            onWorkerError(report, envelope: envelope, worker: worker)
        case nil:
            reject(worker: name, reason: "envelope without a body", code: "missing_field")
        default:
            reject(worker: name, reason: "unexpected message kind from '\(envelope.sender)'", code: "unexpected_kind")
        }
    }

    /// Joins are a few hundred bytes; 64 KiB leaves room for long names.
    static let largestJoinBytes = 64 * 1024

    /// A worker reports a problem. Set-up failures stop the admission; a failed client task of the
    /// current attempt (sender `client-N`) fails that client at once instead of at the deadline.
    func onWorkerError(_ report: Fedsim_V1_ErrorReport, envelope: Fedsim_V1_Envelope, worker: Int) {
        if report.code == "setup_failed" { workerSetupFailure = report.message }
        if report.code == "peer_failed" && peerFailure == nil { peerFailure = report.message }
        events.record("worker_error", ["worker": registry.records[worker].name, "code": report.code, "message": report.message,
                                       "round": Int(clamping: envelope.round)])
        guard envelope.sender.hasPrefix("client-"), let client = Int(envelope.sender.dropFirst("client-".count)),
              envelope.round == UInt64(round), envelope.attempt == UInt32(attempt),
              registry.hostOf[client] == worker, pending.contains(client) else { return }
        pending.remove(client)
    }

    /// An update from a known worker: checked against the round, the client's host and the layout.
    func onUpdate(_ wire: Fedsim_V1_ClientUpdate, envelope: Fedsim_V1_Envelope, worker: Int, size: Int) {
        let client = Int(wire.clientID)
        let name = registry.records[worker].name
        guard registry.hostOf[client] == worker else {
            return reject(worker: name, reason: "client \(client) is not hosted by \(name)", code: "unknown_sender")
        }
        guard envelope.round == UInt64(round), envelope.attempt == UInt32(attempt) else {
            return reject(worker: name, reason: "stale update for round \(envelope.round) attempt \(envelope.attempt) "
                            + "(current: round \(round) attempt \(attempt))", code: "stale_round")
        }
        guard pending.contains(client) else {
            let why = received[client] != nil ? "duplicate update from client \(client)" : "client \(client) was not sampled"
            return reject(worker: name, reason: why, code: received[client] != nil ? "duplicate" : "not_sampled")
        }
        let update: ClientUpdate
        do {
            update = try ClientUpdate(wire: wire)
            try updateLayout.validate(update.tensors)
        } catch let error as WireError {
            return reject(worker: name, reason: "client \(client): \(error.description)", code: error.code)
        } catch {
            return reject(worker: name, reason: "client \(client): \(error)", code: "bad_shape")
        }
        // Aggregation weights come from num_samples, so a worker cannot inflate its clients' weight.
        guard update.numSamples == workload.shardSizes[client] else {
            return reject(worker: name, reason: "client \(client): num_samples \(update.numSamples) is not its shard size "
                            + "\(workload.shardSizes[client])", code: "bad_weight")
        }
        if let problem = evaluationProblem(update, client: client) {
            return reject(worker: name, reason: "client \(client): \(problem)", code: "bad_evaluation")
        }
        let counted: Int
        do { counted = try acceptState(wire, envelope: envelope, size: size, client: client, worker: worker) } catch {
            return reject(worker: name, reason: "client \(client) state: \(error.description)", code: error.code)
        }
        pending.remove(client)
        received[client] = update
        bytesUp += counted
        clientComputeSeconds += max(update.metrics[UpdateTiming.computeSeconds] ?? 0, 0)
        clientBLASSeconds += max(update.metrics[UpdateTiming.blasSeconds] ?? 0, 0)
    }

    /// Records a rejected message from a known worker.
    func reject(worker: String, reason: String, code: String) {
        rejectedThisRound += 1
        rejectedTotal += 1
        events.record("rejected", ["from": worker, "code": code, "reason": reason, "round": round])
    }

    /// Records a rejected message; optionally tells the sender why.
    func reject(identity: [UInt8], reason: String, code: String, reply: Bool) {
        rejectedThisRound += 1
        rejectedTotal += 1
        let printable = String(decoding: identity.prefix(64), as: UTF8.self)
        events.record("rejected", ["from": printable, "code": code, "reason": reason, "round": round])
        if reply && !identity.isEmpty {
            var report = Fedsim_V1_ErrorReport()
            report.code = code
            report.message = reason
            send(.error(report), to: identity, receiver: printable)
        }
    }
}
