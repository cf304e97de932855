import FedCore
import FedSecure
import FedTransport
import FedWire
import Foundation

/// The direct channel between the two parties' workers: `ShareMessage` envelopes on the peer mesh
/// (`PeerLinks`), never through the coordinator. While it waits for a frame it keeps the
/// coordinator informed (heartbeats) and listens for a shutdown, so a failure anywhere stops this
/// party at once instead of at the time-out.
final class MeshPartyLink: PartyLink {
    let worker: Worker
    let links: PeerLinks
    let party: Int
    let runID: String
    let timeoutSeconds: Double
    let maxMessageBytes: Int
    var lastBeat = ContinuousClock.now
    /// Drop or rewrite outgoing frames (fault-injection tests only).
    var tamper: ((ShareFrame) -> ShareFrame?)?

    init(worker: Worker, links: PeerLinks, party: Int, runID: String, timeoutSeconds: Double, maxMessageBytes: Int) {
        self.worker = worker
        self.links = links
        self.party = party
        self.runID = runID
        self.timeoutSeconds = timeoutSeconds
        self.maxMessageBytes = maxMessageBytes
    }

    var other: Int { 1 - party }

    func send(_ frame: ShareFrame) throws {
        guard let frame = tamper.map({ $0(frame) }) ?? frame else { return }
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.sender = "party-\(party)"
        envelope.receiver = "party-\(other)"
        envelope.body = .share(PartyWire.shareMessage(frame, from: party, to: other))
        try links.send(EnvelopeCodec.encode(envelope), to: other)
    }

    func receive() throws -> ShareFrame {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutSeconds * 1000))
        while ContinuousClock.now < deadline {
            try keepCoordinatorInformed()
            let ready = try Poller.waitReadable([links.inbound, worker.socket], timeoutMilliseconds: 100)
            if ready.contains(1), let stop = try worker.coordinatorStop(runID: runID) { throw PartyProtocolError.stopped(reason: stop) }
            guard ready.contains(0), let frames = try links.inbound.receive(timeoutMilliseconds: 0), frames.count == 2 else { continue }
            let envelope: Fedsim_V1_Envelope
            do { envelope = try EnvelopeCodec.decode(frames[1], limit: maxMessageBytes) } catch {
                throw PartyProtocolError.unexpectedFrame(expected: ShareTag(tree: -1, level: -1, step: -1), reason: "undecodable message: \(error)")
            }
            guard envelope.runID == runID, case let .share(message)? = envelope.body else {
                throw PartyProtocolError.unexpectedFrame(expected: ShareTag(tree: -1, level: -1, step: -1),
                                                         reason: "not a share message of this run (from '\(envelope.sender)')")
            }
            return try PartyWire.frame(message, expectedFrom: other, to: party)
        }
        throw PartyProtocolError.silent(party: other, waitedSeconds: timeoutSeconds, expected: ShareTag(tree: -1, level: -1, step: -1))
    }

    func keepCoordinatorInformed() throws {
        guard ContinuousClock.now - lastBeat >= .seconds(1) else { return }
        try worker.send(.heartbeat(Fedsim_V1_Heartbeat()), runID: runID, round: 0, attempt: 0, phase: "", receiver: "coordinator")
        lastBeat = .now
    }
}

/// Party 0's dealer: each request goes to the coordinator, which answers with the correlated words.
final class RemoteDealer: CorrectionSource {
    let worker: Worker
    let runID: String
    let timeoutSeconds: Double
    private(set) var bytesReceived = 0

    init(worker: Worker, runID: String, timeoutSeconds: Double) {
        self.worker = worker
        self.runID = runID
        self.timeoutSeconds = timeoutSeconds
    }

    func correction(index: Int, request: MaterialRequest) throws -> [UInt64] {
        var update = Fedsim_V1_ClientUpdate()
        update.clientID = 0
        update.metrics["index"] = Double(index)
        for (i, field) in request.wireFields.enumerated() { update.metrics["f\(i)"] = Double(field) }
        try worker.send(.update(update), runID: runID, round: 0, attempt: 0, phase: PartyWire.dealerPhase, receiver: "coordinator")
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutSeconds * 1000))
        while ContinuousClock.now < deadline {
            guard let frames = try worker.socket.receive(timeoutMilliseconds: 100), let payload = frames.last,
                  let envelope = try? EnvelopeCodec.decode(payload, limit: Int.max) else { continue }
            switch envelope.body {
            case let .task(task)? where envelope.phase == PartyWire.dealerPhase:
                guard task.config["index"] == Double(index), task.tensors.count <= 1 else {
                    throw PartyProtocolError.refused(reason: "dealer answered request \(task.config["index"] ?? -1), expected \(index)")
                }
                let words = try task.tensors.first.map { try RingTensor(wire: $0).values } ?? []
                bytesReceived += words.count * 8
                return words
            case let .shutdown(shutdown)?:
                worker.confirmShutdown(runID: runID)
                throw PartyProtocolError.stopped(reason: shutdown.reason)
            case let .error(report)?:
                throw PartyProtocolError.stopped(reason: "coordinator: \(report.message)")
            default:
                continue
            }
        }
        throw PartyProtocolError.stopped(reason: "the dealer did not answer request \(index) within \(timeoutSeconds) s")
    }
}
