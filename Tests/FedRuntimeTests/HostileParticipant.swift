import FedAlgorithms
import FedCore
import FedTransport
import FedWire
import Foundation

/// A participant that joins as a worker and answers every task with a different kind of bad message.
///
/// It exercises the coordinator's validation over a real socket: nothing it sends may crash the
/// coordinator or reach aggregation.
final class HostileParticipant: @unchecked Sendable {
    enum Misbehaviour: CaseIterable {
        case garbageBytes, wrongShape, nonFinite, foreignClient, staleRound, oversized, beyondTransportCap, duplicate, emptyBody,
            wrongRunID, inflatedWeight
    }

    let socket: ZMQSocket
    let stranger: ZMQSocket
    /// Every client's true example count, so that the hostile's otherwise valid updates are valid.
    let shardSizes: [Int]
    private(set) var sent: [Misbehaviour] = []
    var seq: UInt64 = 0

    init(context: ZMQContext, endpoint: String, shardSizes: [Int]) throws {
        self.shardSizes = shardSizes
        socket = try context.makeSocket(.dealer)
        try socket.setRoutingID(Array("hostile".utf8))
        try socket.connect(endpoint)
        stranger = try context.makeSocket(.dealer)
        try stranger.setRoutingID(Array("stranger".utf8))
        try stranger.connect(endpoint)
    }

    func envelope(_ body: Fedsim_V1_Envelope.OneOf_Body, runID: String, round: UInt64, attempt: UInt32) -> [UInt8] {
        seq += 1
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.sender = "hostile"
        envelope.receiver = "coordinator"
        envelope.round = round
        envelope.attempt = attempt
        envelope.seq = seq
        envelope.body = body
        return EnvelopeCodec.encode(envelope)
    }

    /// Joins, then misbehaves on each task until Shutdown or `deadline`.
    func serve(until deadline: Date) throws {
        var join = Fedsim_V1_Join()
        join.workerName = "hostile"
        join.protocolVersion = EnvelopeCodec.protocolVersion
        try socket.send([envelope(.join(join), runID: "", round: 0, attempt: 0)])
        // A never-joined stranger sends an update: unknown sender.
        var foreign = Fedsim_V1_ClientUpdate()
        foreign.clientID = 0
        foreign.numSamples = 1
        try stranger.send([envelope(.update(foreign), runID: "x", round: 1, attempt: 0)])
        var runID = ""
        var hosted = [UInt32]()
        var next = 0
        while Date() < deadline {
            guard let frames = try socket.receive(timeoutMilliseconds: 50) else {
                // Alive though misbehaving: idle heartbeats, as a real worker sends them.
                if !runID.isEmpty {
                    try socket.send([envelope(.heartbeat(Fedsim_V1_Heartbeat()), runID: runID, round: 0, attempt: 0)])
                }
                continue
            }
            guard let payload = frames.last, let message = try? EnvelopeCodec.decode(payload, limit: Int.max) else { continue }
            switch message.body {
            case let .joinAck(ack)?:
                runID = ack.runID
                hosted = ack.clientIds
                // Ready: a heartbeat after the ack, as a real worker sends once set up.
                var ready = Fedsim_V1_Heartbeat()
                ready.ready = true
                try socket.send([envelope(.heartbeat(ready), runID: runID, round: 0, attempt: 0)])
            case let .task(task)?:
                let kind = Misbehaviour.allCases[next % Misbehaviour.allCases.count]
                next += 1
                sent.append(kind)
                try misbehave(kind, task: task, message: message, runID: runID, hosted: hosted)
            case .shutdown?:
                return
            default:
                continue
            }
        }
    }

    func misbehave(_ kind: Misbehaviour, task: Fedsim_V1_ClientTask, message: Fedsim_V1_Envelope, runID: String,
                   hosted: [UInt32]) throws {
        var update = Fedsim_V1_ClientUpdate()
        update.clientID = task.clientID
        update.numSamples = UInt64(shardSizes[Int(task.clientID)])
        update.tensors = task.tensors  // the global model: right names and shapes
        let round = message.round, attempt = message.attempt
        switch kind {
        case .garbageBytes:
            try socket.send([[0xFF, 0x13, 0x37, 0x00, 0xFF, 0xFF, 0xFF]])
        case .wrongShape:
            update.tensors[0].shape = [update.tensors[0].shape[0] + 1, update.tensors[0].shape[1]]
            update.tensors[0].data.append(Data(count: Int(update.tensors[0].shape[1]) * 4))
            try socket.send([envelope(.update(update), runID: runID, round: round, attempt: attempt)])
        case .nonFinite:
            var values = [Float](repeating: 0, count: update.tensors[0].data.count / 4)
            values[3] = .nan
            update.tensors[0].data = values.withUnsafeBufferPointer { Data(buffer: $0) }
            try socket.send([envelope(.update(update), runID: runID, round: round, attempt: attempt)])
        case .foreignClient:
            update.clientID = (0..<10_000).map(UInt32.init).first { !hosted.contains($0) } ?? 0
            try socket.send([envelope(.update(update), runID: runID, round: round, attempt: attempt)])
        case .staleRound:
            try socket.send([envelope(.update(update), runID: runID, round: round + 7, attempt: attempt)])
        case .oversized:  // over the 1 MB limit, under the transport cap: read, then rejected
            var big = update.tensors[0]
            big.name = "padding"
            big.shape = [375_000]
            big.data = Data(count: 1_500_000)
            update.tensors.append(big)
            try socket.send([envelope(.update(update), runID: runID, round: round, attempt: attempt)])
        case .beyondTransportCap:  // over twice the limit: libzmq drops the connection (it reconnects)
            var big = update.tensors[0]
            big.name = "padding"
            big.shape = [750_000]
            big.data = Data(count: 3_000_000)
            update.tensors.append(big)
            try socket.send([envelope(.update(update), runID: runID, round: round, attempt: attempt)])
        case .duplicate:
            let valid = envelope(.update(update), runID: runID, round: round, attempt: attempt)
            try socket.send([valid])
            try socket.send([valid])
        case .emptyBody:
            var empty = Fedsim_V1_Envelope()
            empty.runID = runID
            try socket.send([EnvelopeCodec.encode(empty)])
        case .inflatedWeight:
            update.numSamples = 1_000_000
            try socket.send([envelope(.update(update), runID: runID, round: round, attempt: attempt)])
        case .wrongRunID:
            try socket.send([envelope(.update(update), runID: "another-run", round: round, attempt: attempt)])
        }
    }

    func close() {
        socket.close()
        stranger.close()
    }
}
