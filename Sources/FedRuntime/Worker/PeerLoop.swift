import FedAlgorithms
import FedCore
import FedModels
import FedWire
import FedWorkloads

/// The peers one worker hosts in a decentralized run, stepping through the algorithm together.
///
/// For each step: `prepare` computes every hosted peer's outgoing tensors, delivers those for peers
/// hosted here into the mailbox and returns encoded envelopes for the others; `receive` files
/// neighbours' gossip (early messages wait for their step); `advance` mixes and updates each peer
/// once every contribution is in. Peers are handled in ascending id and mixes sum in node order, so
/// results do not depend on which worker hosts whom or on arrival order.
struct PeerLoop {
    let algorithm: any PeerAlgorithm
    let graph: PeerGraph
    let mixing: MixingMatrix
    let problem: any PeerProblem
    let workload: PreparedWorkload
    let seed: UInt64
    let peers: [Int]
    let peerWorker: [Int]
    let me: Int
    let runID: String
    /// Largest gossip envelope allowed (federation.max_message_mb).
    let maxMessageBytes: Int

    /// Each hosted peer's rows, built once.
    let shards: [Int: DatasetShard]
    var states = [Int: PeerState]()
    /// Gossip received or delivered, by (iteration, step, to, from).
    var mailbox = [MailKey: [NamedTensor]]()
    /// The current step's own tensors and contexts, by peer.
    var own = [Int: [NamedTensor]]()
    var contexts = [Int: PeerContext]()
    /// This iteration's floats sent (every neighbour counted) and network bytes, by peer.
    var floatsSent = [Int: Int]()
    var bytesSent = [Int: Int]()
    /// Gossip that failed validation (dropped, counted in the reports).
    var rejected = 0
    var sequence: UInt64 = 0
    /// The step being worked on; gossip is accepted for it and the next one only (a neighbour can be
    /// at most one step ahead: it needs this worker's gossip to finish a step).
    var current = (iteration: 0, step: 0)

    struct MailKey: Hashable { let iteration: Int, step: Int, to: Int, from: Int }

    init(algorithm: any PeerAlgorithm, graph: PeerGraph, mixing: MixingMatrix, problem: any PeerProblem,
         workload: PreparedWorkload, seed: UInt64, peers: [Int], peerWorker: [Int], me: Int, runID: String, maxMessageBytes: Int) {
        (self.algorithm, self.graph, self.mixing, self.problem, self.workload) = (algorithm, graph, mixing, problem, workload)
        (self.seed, self.peers, self.peerWorker, self.me, self.runID) = (seed, peers, peerWorker, me, runID)
        self.maxMessageBytes = maxMessageBytes
        shards = Dictionary(uniqueKeysWithValues: peers.map { ($0, workload.shard(of: $0)) })
    }

    /// The routing id a worker's gossip sockets use: its index first, so a receiver can check that
    /// gossip from a peer comes from the worker hosting it; a random tail keeps ids unique.
    static func linkIdentity(worker: Int) -> String { "peer-link-\(worker)#\(UInt32.random(in: 1...UInt32.max))" }
    static func isLink(_ identity: [UInt8], of worker: Int) -> Bool { identity.starts(with: Array("peer-link-\(worker)#".utf8)) }

    func context(_ peer: Int, iteration: Int, stepIndex: Int) -> PeerContext {
        PeerContext(problem: problem, data: shards[peer]!,
                    rng: PeerSimulator.stream(seed: seed, node: peer, iteration: iteration, step: stepIndex), iteration: iteration)
    }

    /// Every hosted peer's state before its first iteration: the checkpointed states of a resumed run,
    /// or the initial states built from the model's initial parameters.
    mutating func start(resumed: [Int: PeerState]?) throws {
        if let resumed {
            for peer in peers {
                guard let state = resumed[peer] else { throw RuntimeError.setupFailed(reason: "no checkpointed state for peer \(peer)") }
                states[peer] = state
            }
            return
        }
        let initial = workload.initialParameters(seed: seed)
        for peer in peers {
            var ctx = PeerContext(problem: problem, data: shards[peer]!, rng: PeerSimulator.initialStream(seed: seed, node: peer),
                                  iteration: 0)
            do { states[peer] = try algorithm.initialState(parameters: initial, context: &ctx) } catch {
                throw RuntimeError.setupFailed(reason: "peer \(peer): \(error.reason)")
            }
        }
    }

    /// Runs every hosted peer's `prepare`; returns the envelopes for other workers, in send order.
    mutating func prepare(iteration: Int, stepIndex: Int) throws -> [(worker: Int, payload: [UInt8])] {
        let step = algorithm.steps[stepIndex]
        current = (iteration, stepIndex)
        var outgoing = [(worker: Int, payload: [UInt8])]()
        for peer in peers {
            var ctx = context(peer, iteration: iteration, stepIndex: stepIndex)
            let tensors: [NamedTensor]
            do { tensors = try algorithm.prepare(step: step, state: &states[peer]!, context: &ctx) } catch {
                throw RuntimeError.peerFailed(iteration: iteration + 1, reason: "peer \(peer) at \(step.tag): \(error.reason)")
            }
            if let bad = tensors.first(where: { $0.values.contains { !$0.isFinite } }) {
                throw RuntimeError.peerFailed(iteration: iteration + 1, reason: "peer \(peer) diverged: '\(bad.name)' holds non-finite "
                                              + "values at step \(step.tag) (lower the step sizes lr_inner, lr_linear or lr_outer)")
            }
            contexts[peer] = ctx
            own[peer] = tensors
            let count = tensors.reduce(0) { $0 + $1.values.count }
            for neighbour in graph.neighbours[peer] {
                floatsSent[peer, default: 0] += count
                if peerWorker[neighbour] == me {
                    mailbox[MailKey(iteration: iteration, step: stepIndex, to: neighbour, from: peer)] = tensors
                } else {
                    let payload = encodeGossip(tensors, from: peer, to: neighbour, iteration: iteration, stepIndex: stepIndex)
                    guard payload.count <= maxMessageBytes else {
                        throw RuntimeError.peerFailed(iteration: iteration + 1, reason: "peer \(peer)'s gossip at \(step.tag) is \(payload.count >> 20) MB, "
                                                      + "above federation.max_message_mb (\(maxMessageBytes >> 20) MB)")
                    }
                    bytesSent[peer, default: 0] += payload.count
                    outgoing.append((peerWorker[neighbour], payload))
                }
            }
        }
        return outgoing
    }

    mutating func encodeGossip(_ tensors: [NamedTensor], from: Int, to: Int, iteration: Int, stepIndex: Int) -> [UInt8] {
        sequence += 1
        var gossip = Fedsim_V1_Gossip()
        gossip.fromPeer = UInt32(from)
        gossip.toPeer = UInt32(to)
        gossip.tensors = tensors.map { $0.wireTensor() }
        gossip.config = ["step": Double(stepIndex)]
        var envelope = Fedsim_V1_Envelope()
        envelope.runID = runID
        envelope.sender = "peer-\(from)"
        envelope.receiver = "peer-\(to)"
        envelope.round = UInt64(iteration + 1)
        envelope.phase = algorithm.steps[stepIndex].tag
        envelope.seq = sequence
        envelope.body = .gossip(gossip)
        return EnvelopeCodec.encode(envelope)
    }

    /// Files one received envelope. Anything that is not well-formed gossip for the current or next
    /// step, to a hosted peer, from one of its neighbours hosted by the sending worker, and not a
    /// duplicate, is dropped and counted: a stray or hostile sender can neither crash the worker nor
    /// grow its mailbox nor replace what a peer hosted here delivered in memory.
    mutating func receive(identity: [UInt8], _ payload: [UInt8], limit: Int) {
        guard let envelope = try? EnvelopeCodec.decode(payload, limit: limit), envelope.runID == runID,
              case let .gossip(gossip)? = envelope.body, let round = Int(exactly: envelope.round), round >= 1,
              let stepValue = gossip.config["step"], stepValue >= 0, stepValue < Double(algorithm.steps.count),
              stepValue == stepValue.rounded() else {
            rejected += 1
            return
        }
        let (iteration, step) = (round - 1, Int(stepValue))
        let next = current.step + 1 < algorithm.steps.count ? (current.iteration, current.step + 1) : (current.iteration + 1, 0)
        let to = Int(gossip.toPeer), from = Int(gossip.fromPeer)
        let key = MailKey(iteration: iteration, step: step, to: to, from: from)
        guard (iteration, step) == current || (iteration, step) == next, to < graph.nodeCount, from < graph.nodeCount,
              peerWorker[to] == me, peerWorker[from] != me, graph.neighbours[to].contains(from),
              Self.isLink(identity, of: peerWorker[from]), mailbox[key] == nil,
              let tensors = try? gossip.tensors.map({ try NamedTensor(wire: $0, requireFinite: true) }) else {
            rejected += 1
            return
        }
        mailbox[key] = tensors
    }

    func hasAllContributions(iteration: Int, stepIndex: Int) -> Bool {
        peers.allSatisfy { peer in
            graph.neighbours[peer].allSatisfy { mailbox[MailKey(iteration: iteration, step: stepIndex, to: peer, from: $0)] != nil }
        }
    }

    func missingDescription(iteration: Int, stepIndex: Int, seconds: Double) -> String {
        var missing = [String]()
        for peer in peers {
            for neighbour in graph.neighbours[peer] where mailbox[MailKey(iteration: iteration, step: stepIndex, to: peer, from: neighbour)] == nil {
                missing.append("peer \(neighbour) → peer \(peer)")
            }
        }
        return "no gossip within \(seconds) s at iteration \(iteration + 1), step \(algorithm.steps[stepIndex].tag): "
            + missing.prefix(6).joined(separator: ", ") + (missing.count > 6 ? ", …" : "")
            + " (the neighbour's worker stopped or is too slow; raise federation.timeout_s for slow peers)"
    }

    /// Mixes and advances every hosted peer, consuming the step's mail.
    mutating func advance(iteration: Int, stepIndex: Int) throws {
        let step = algorithm.steps[stepIndex]
        for peer in peers {
            var contributions = [PeerMixing.Contribution(node: peer, weight: mixing.weight(peer, peer), tensors: own[peer] ?? [])]
            for neighbour in graph.neighbours[peer] {
                let key = MailKey(iteration: iteration, step: stepIndex, to: peer, from: neighbour)
                contributions.append(PeerMixing.Contribution(node: neighbour, weight: mixing.weight(peer, neighbour),
                                                             tensors: mailbox.removeValue(forKey: key) ?? []))
            }
            do {
                let mixed = try PeerMixing.mix(contributions)
                try algorithm.advance(step: step, state: &states[peer]!, mixed: mixed, context: &contexts[peer]!)
            } catch {
                throw RuntimeError.peerFailed(iteration: iteration + 1, reason: "peer \(peer) at \(step.tag): \(error.reason)")
            }
        }
    }

    /// The iteration's report of each hosted peer (its point, state and traffic), then resets the counters.
    mutating func reports(iteration: Int) throws -> [(peer: Int, update: Fedsim_V1_ClientUpdate)] {
        let layout = workload.model.layout
        var result = [(peer: Int, update: Fedsim_V1_ClientUpdate)]()
        for peer in peers {
            let state = states[peer] ?? [:]
            if let bad = state.keys.sorted().first(where: { state[$0]!.contains { !$0.isFinite } }) {
                throw RuntimeError.peerFailed(iteration: iteration + 1, reason: "peer \(peer) diverged: '\(bad)' holds non-finite values "
                                              + "after the iteration (lower the step sizes lr_inner, lr_linear or lr_outer)")
            }
            var metrics = algorithm.peerMetrics(state: state)
            metrics["gossip_floats"] = Double(floatsSent[peer] ?? 0)
            metrics["gossip_bytes"] = Double(bytesSent[peer] ?? 0)
            metrics["gossip_rejected"] = peer == peers.first ? Double(rejected) : 0  // counted per worker
            let update = ClientUpdate(clientID: peer, numSamples: workload.shardSizes[peer], tensors: layout.split(algorithm.point(of: state)),
                                      metrics: metrics)
            var wire = update.wireUpdate()
            wire.clientState = ClientStateWire.encode(state)
            result.append((peer, wire))
        }
        floatsSent = [:]
        bytesSent = [:]
        rejected = 0
        return result
    }
}
