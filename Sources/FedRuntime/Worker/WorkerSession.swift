import FedAlgorithms
import FedCore
import FedModels
import FedWire
import FedWorkloads
import Foundation

/// What a worker builds from the JoinAck: topology, data, algorithm and reusable buffers.
struct WorkerSession {
    let topology: Topology
    let workload: PreparedWorkload
    /// The star algorithm (nil in a decentralized run).
    let starAlgorithm: (any StarAlgorithm)?
    /// The decentralized algorithm (nil in a star run).
    let peerAlgorithm: (any PeerAlgorithm)?
    let workspace: ModelWorkspace
    /// Hosted clients' subgraphs, built on first use (graph workloads).
    let graphClients = GraphClientCache()

    var algorithm: any StarAlgorithm {
        guard let starAlgorithm else { preconditionFailure("a decentralized run has no star algorithm") }
        return starAlgorithm
    }

    init(ack: Fedsim_V1_JoinAck) throws {
        do {
            let node = try YAMLConfigLoader.parse(ack.configYaml, file: ack.configFile)
            topology = try Topology(node: node, file: ack.configFile)
            workload = try PreparedWorkload.prepare(topology)
            if topology.network.isPeerToPeer {
                starAlgorithm = nil
                peerAlgorithm = try topology.makePeerAlgorithm(model: workload.model)
            } else {
                starAlgorithm = try topology.makeAlgorithm(model: workload.model)
                peerAlgorithm = nil
            }
        } catch {
            throw RuntimeError.setupFailed(reason: "\(error)")
        }
        workspace = workload.model.makeWorkspace(batchCapacity: starAlgorithm?.batchCapacity ?? 1)
    }

    /// Runs one client's task with the client's own stream for this round; `state` is the client's
    /// persistent state, updated in place.
    func train(task: ClientTask, client: Int, round: Int, state: inout ClientState,
               privateState: inout ClientState) throws(AlgorithmError) -> ClientUpdate {
        let rng = RNGStream(seed: topology.seed, purpose: .localTraining, client: UInt64(client), round: UInt64(round))
        var context = ClientContext(model: workload.model, data: workload.shard(of: client), rng: rng, workspace: workspace,
                                    state: state, round: round, privateState: privateState,
                                    graph: graphClients.client(client, of: workload), seed: topology.seed,
                                    testData: workload.testRows(of: client))
        let update = try algorithm.train(task: task, context: &context)
        state = context.state
        privateState = context.privateState
        return update
    }

    /// Whether the fault plan makes this client silently miss this round.
    func dropsClient(_ client: Int, round: Int) -> Bool {
        guard topology.faults.clientDrop > 0 else { return false }
        var rng = RNGStream(seed: topology.seed, purpose: .faults, client: UInt64(client), round: UInt64(round))
        return rng.nextUnitDouble() < topology.faults.clientDrop
    }
}

/// The subgraph inputs of each hosted client, built once (normalised adjacency, feature rows,
/// pass buffers) and reused every round.
final class GraphClientCache {
    private var clients = [Int: GraphClient]()

    func client(_ id: Int, of workload: PreparedWorkload) -> GraphClient? {
        if let cached = clients[id] { return cached }
        let made = workload.graphClient(id)
        clients[id] = made
        return made
    }
}
