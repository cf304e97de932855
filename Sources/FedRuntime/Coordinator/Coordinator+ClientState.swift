import FedAlgorithms
import FedCore
import FedWire
import Foundation

/// Persistent client state (duals, control variates): the coordinator keeps the authoritative copy,
/// refreshed by every accepted update, checkpoints it, and hands it to a worker whenever that
/// worker's copy may be stale. State traffic is simulation bookkeeping, not the algorithm's: it is
/// left out of `bytes_up`/`bytes_down` and reported as `bytes_state`.
extension Coordinator {
    /// Sends a task, including the client's state if its host's copy may be out of date.
    func sendTask(_ task: ClientTask, host: Int) {
        var wire = task.wireTask()
        let client = task.clientID
        // The worker continues the client's private state from its last accepted round (a field only
        // algorithms with private state pay for).
        if algorithm.keepsPrivateState { wire.privateStateRound = UInt64(privateStateRounds[client] ?? 0) }
        let receiver = "client-\(client)"
        guard stateHolder[client] != host else {
            bytesDown += send(.task(wire), to: registry.records[host].identity, receiver: receiver)
            return
        }
        let counted = envelopeSize(.task(wire), receiver: receiver)
        wire.stateIncluded = true
        wire.clientState = ClientStateWire.encode(clientStates[client] ?? [:])
        let total = send(.task(wire), to: registry.records[host].identity, receiver: receiver)
        if total > 0 {
            bytesDown += counted
            bytesState += total - counted
            stateHolder[client] = host
        }
    }

    /// The algorithm's share of an update's bytes (without the state field), and records the state.
    func acceptState(_ wire: Fedsim_V1_ClientUpdate, envelope: Fedsim_V1_Envelope, size: Int, client: Int,
                     worker: Int) throws(WireError) -> Int {
        let state = try ClientStateWire.decode(wire.clientState)
        clientStates[client] = state.isEmpty ? nil : state
        stateHolder[client] = worker
        guard !wire.clientState.isEmpty else { return size }
        var stripped = envelope
        var body = wire
        body.clientState = []
        stripped.body = .update(body)
        let counted = EnvelopeCodec.encode(stripped).count
        bytesState += size - counted
        return counted
    }

    /// The serialised size of an envelope with `body` as `send` would build it.
    func envelopeSize(_ body: Fedsim_V1_Envelope.OneOf_Body, receiver: String) -> Int {
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.sender = "coordinator"
        envelope.receiver = receiver
        envelope.round = UInt64(round)
        envelope.phase = phase
        envelope.seq = 1  // fixed64: the value does not change the size
        envelope.attempt = UInt32(attempt)
        envelope.body = body
        return EnvelopeCodec.encode(envelope).count
    }

    /// After admission: every worker starts with empty client state, which matches the coordinator's
    /// copy except for clients restored from a checkpoint.
    func markInitialStateHolders() {
        for (client, host) in registry.hostOf where clientStates[client] == nil { stateHolder[client] = host }
    }
}
