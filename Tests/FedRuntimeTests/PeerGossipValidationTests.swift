@testable import FedRuntime
import FedAlgorithms
import FedCore
import FedModels
import FedTestSupport
import FedWire
import FedWorkloads
import Foundation
import Testing

/// A worker's gossip inbox against stray and hostile senders: nothing crashes it, grows its mailbox
/// or replaces a contribution.
@Suite struct PeerGossipValidationTests {
    /// Peers 0..<4 on a ring; this worker (index 0) hosts 0 and 1, worker 1 hosts 2 and 3.
    static func loop() throws -> PeerLoop {
        let topology = try TopologyFixtures.parse("""
        name: inbox
        algorithm: {name: ma_dsbo, rounds: 2}
        workload:
          model: {kind: quadratic_bilevel}
          dataset: {name: quadratic_bilevel, upper_dimension: 2, lower_dimension: 2}
          partition: {kind: iid}
        federation: {clients: 4}
        network: {kind: ring}
        """)
        let workload = try PreparedWorkload.prepare(topology)
        return PeerLoop(algorithm: try topology.makePeerAlgorithm(model: workload.model), graph: topology.network.graph!,
                        mixing: topology.network.mixing!, problem: workload.model as! any BilevelProblem, workload: workload,
                        seed: 1, peers: [0, 1], peerWorker: [0, 0, 1, 1], me: 0, runID: "inbox-1", maxMessageBytes: 1 << 20)
    }

    static func gossip(from: Int, to: Int, round: UInt64, step: Double, values: [Float] = [1, 2], runID: String = "inbox-1") -> [UInt8] {
        var body = Fedsim_V1_Gossip()
        body.fromPeer = UInt32(from)
        body.toPeer = UInt32(to)
        body.tensors = [NamedTensor(name: "y", shape: [values.count], values: values).wireTensor()]
        body.config = ["step": step]
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.round = round
        envelope.body = .gossip(body)
        return EnvelopeCodec.encode(envelope)
    }

    static let workerOne = Array("peer-link-1#7".utf8)

    @Test func wellFormedGossip_isFiledOnce() throws {
        var loop = try Self.loop()
        loop.receive(identity: Self.workerOne, Self.gossip(from: 2, to: 1, round: 1, step: 0), limit: 1 << 20)
        #expect(loop.mailbox.count == 1 && loop.rejected == 0)
        loop.receive(identity: Self.workerOne, Self.gossip(from: 2, to: 1, round: 1, step: 0, values: [9, 9]), limit: 1 << 20)
        #expect(loop.rejected == 1, "a duplicate cannot replace what arrived first")
        #expect(loop.mailbox.values.first?.first?.values == [1, 2])
        loop.receive(identity: Self.workerOne, Self.gossip(from: 2, to: 1, round: 1, step: 1), limit: 1 << 20)
        #expect(loop.mailbox.count == 2, "the next step is accepted (a neighbour may be one step ahead)")
    }

    @Test func strayOrHostileGossip_isDroppedAndCounted() throws {
        var loop = try Self.loop()
        let cases: [([UInt8], [UInt8])] = [
            (Self.workerOne, Self.gossip(from: 2, to: 1, round: UInt64.max, step: 0)),        // round beyond Int
            (Self.workerOne, Self.gossip(from: 2, to: 1, round: 5, step: 0)),                 // far-future iteration
            (Self.workerOne, Self.gossip(from: 2, to: 1, round: 1, step: 3)),                 // two steps ahead
            (Self.workerOne, Self.gossip(from: 0, to: 1, round: 1, step: 0)),                 // claims a peer hosted here
            (Array("peer-link-0#7".utf8), Self.gossip(from: 2, to: 1, round: 1, step: 0)),    // wrong sending worker
            (Self.workerOne, Self.gossip(from: 3, to: 1, round: 1, step: 0)),                 // not a neighbour of 1
            (Self.workerOne, Self.gossip(from: 2, to: 3, round: 1, step: 0)),                 // peer not hosted here
            (Self.workerOne, Self.gossip(from: 2, to: 1, round: 1, step: 0, values: [.nan, 1])),  // non-finite
            (Self.workerOne, Self.gossip(from: 2, to: 1, round: 1, step: 0, runID: "other")), // another run
            (Self.workerOne, Array("garbage".utf8)),
        ]
        for (identity, payload) in cases { loop.receive(identity: identity, payload, limit: 1 << 20) }
        #expect(loop.rejected == cases.count)
        #expect(loop.mailbox.isEmpty)
    }
}
