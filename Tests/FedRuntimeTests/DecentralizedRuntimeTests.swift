import FedAlgorithms
import FedCore
import FedModels
import FedReport
import FedRuntime
import FedTestSupport
import FedWorkloads
import Foundation
import Testing

/// Decentralized bilevel runs through real workers gossiping over ZeroMQ (spec optimization.md §4).
@Suite struct DecentralizedRuntimeTests {
    static func topology(algorithm: String, keys: String = "", network: String, nodes: Int, rounds: Int, workers: Int = 3,
                         heterogeneity: Double = 1.0, p: Int = 3, q: Int = 2, seed: UInt64 = 1, timeout: Double = 20) throws -> Topology {
        try TopologyFixtures.parse("""
        name: dbo
        seed: \(seed)
        algorithm: {name: \(algorithm), rounds: \(rounds)\(keys)}
        workload:
          model: {kind: quadratic_bilevel, noise: 0}
          dataset: {name: quadratic_bilevel, upper_dimension: \(p), lower_dimension: \(q), heterogeneity: \(heterogeneity)}
          partition: {kind: iid}
        federation: {clients: \(nodes), timeout_s: \(timeout), join_timeout_s: 20}
        network: \(network)
        processes: {workers: \(workers), transport: inproc}
        output: {plot: false}
        """)
    }

    static func run(_ topology: Topology, _ label: String, workerOptions: [Worker.Options]? = nil) throws -> RunDirectory {
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory(label))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory, workerOptions: workerOptions)
        return directory
    }

    /// metrics.csv without the columns that depend on the process layout (wall time, network bytes).
    static func layoutFreeMetrics(_ directory: RunDirectory) throws -> [String] {
        let lines = try TopologyFixtures.deterministicMetrics(directory.url.path)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false),
              let skip = header.firstIndex(of: "bytes_gossip") else { return lines }
        return lines.map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != skip }
                .map { String($0.element) }.joined(separator: ",")
        }
    }

    static func column(_ name: String, _ directory: RunDirectory) throws -> [Double] {
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        return try #require(table.column(name))
    }

    /// (name, keys, floats per node per iteration for degree d, T = 2, N = 3, p = 3, q = 2) — spec §4.7 claim 3.
    static func variants() -> [(String, String, (Int) -> Int)] {
        let (t, n, p, q) = (2, 3, 3, 2)
        let keys = ", inner_steps: \(t), linear_steps: \(n)"
        return [
            ("dbo_local_hypergrad", keys, { d in d * (t * q + p) }),
            ("dbo_jhip", keys + ", gradient_tracking: x", { d in d * (t * q + n * p * q + 2 * p) }),
            ("dbo_jhip", keys + ", gradient_tracking: all", { d in d * (2 * t * q + 2 * n * p * q + 2 * p) }),
            ("ma_dsbo", keys + ", gradient_tracking: none", { d in d * (t * q + n * q + p) }),
            ("ma_dsbo", keys + ", gradient_tracking: all", { d in d * (2 * t * q + 2 * n * q + 2 * p) }),
        ]
    }

    @Test(arguments: [("{kind: ring}", 8, 2), ("{kind: torus}", 9, 4), ("{kind: complete}", 6, 5)])
    func gossipFloats_matchTheSpecFormulas_andNoGossipReachesTheCoordinator(network: String, nodes: Int, degree: Int) throws {
        for (algorithm, keys, formula) in Self.variants() {
            let directory = try Self.run(Self.topology(algorithm: algorithm, keys: keys, network: network, nodes: nodes, rounds: 2),
                                         "dbo-bytes-\(algorithm)")
            let floats = try Self.column("gossip_floats_per_node", directory)
            #expect(floats == [Double](repeating: Double(formula(degree)), count: 2), "\(algorithm)\(keys) on \(network)")
            let networkBytes = try Self.column("bytes_gossip", directory)
            #expect(networkBytes.allSatisfy { $0 > 0 }, "peers on different workers exchanged gossip over the transport")
            let events = try TopologyFixtures.events(directory.url.path)
            let complete = try #require(events.first { $0["event"] as? String == "run_complete" })
            #expect(complete["gossip_received_by_coordinator"] as? Int == 0)
            #expect(try Self.column("bytes_down", directory).allSatisfy { $0 == 0 }, "the coordinator sends no model traffic")
        }
    }

    @Test(arguments: ["dbo_local_hypergrad", "dbo_jhip", "ma_dsbo"])
    func networkedRun_equalsTheInMemorySimulator_forOneAndThreeWorkers(algorithm: String) throws {
        let rounds = 6
        let one = try Self.run(Self.topology(algorithm: algorithm, network: "{kind: ring}", nodes: 5, rounds: rounds, workers: 1), "dbo-1")
        let three = try Self.run(Self.topology(algorithm: algorithm, network: "{kind: ring}", nodes: 5, rounds: rounds, workers: 3), "dbo-3")
        // Everything but the network bytes, which count only gossip between different workers.
        #expect(try Self.layoutFreeMetrics(one) == Self.layoutFreeMetrics(three))
        #expect(try Self.column("bytes_gossip", one).allSatisfy { $0 == 0 }, "one worker gossips in memory only")
        // The same run in memory: identical network average x̄ after the last iteration.
        let topology = try Self.topology(algorithm: algorithm, network: "{kind: ring}", nodes: 5, rounds: rounds)
        let workload = try PreparedWorkload.prepare(topology)
        let problem = try #require(workload.model as? any BilevelProblem)
        var simulator = try PeerSimulator(
            algorithm: topology.makePeerAlgorithm(model: workload.model), problem: problem, graph: #require(topology.network.graph),
            mixing: #require(topology.network.mixing), shards: (0..<5).map(workload.shard(of:)),
            parameters: workload.initialParameters(seed: topology.seed), seed: topology.seed)
        try simulator.run(iterations: rounds)
        let points = simulator.points
        let average = Aggregation.weightedMean(points, weights: [Double](repeating: 1, count: points.count))
        let model = try ModelFile.decode(Data(contentsOf: URL(fileURLWithPath: three.path(RunDirectory.File.model))))
        #expect(model.parameters == average)
    }

    @Test func gradientTracking_reachesTheStationaryPoint_whileLocalHypergradientsStayBiased() throws {
        // Spec §4.7 claim 1 through real workers gossiping on a ring of 8: T = N = 5, β = γ = 0.05,
        // τ = 1, deterministic oracles; α = 0.05 (the spec's 0.02 needs about 2.5 times the iterations).
        func finalNorm(_ algorithm: String) throws -> Double {
            let keys = ", inner_steps: 5, linear_steps: 5, lr_inner: 0.05, lr_linear: 0.05, lr_outer: 0.05"
            let topology = try Self.topology(algorithm: algorithm, keys: keys, network: "{kind: ring}", nodes: 8, rounds: 1300,
                                             workers: 2, p: 4, q: 4)
            return try #require(try Self.column("hypergrad_norm", Self.run(topology, "dbo-claim")).last)
        }
        let ma = try finalNorm("ma_dsbo, gradient_tracking: all, moving_average: 1.0")
        let jhip = try finalNorm("dbo_jhip, gradient_tracking: all")
        let local = try finalNorm("dbo_local_hypergrad")
        print("‖∇Φ(x̄)‖ after 1300 iterations on a ring: MA-DSBO-GT \(ma), JHIP-GT \(jhip), G0 \(local)")
        #expect(ma < 1e-3)
        #expect(jhip < 1e-3)
        #expect(local > 0.1)
    }

    @Test func identicalPeers_makeGossipANoOp_onEveryGraph() throws {
        // Spec §4.7 claim 5: identical data and start on every node ⇒ Mix(v) = v and the graph does not matter.
        for (algorithm, keys, _) in Self.variants() {
            var models = [Data]()
            for network in ["{kind: ring}", "{kind: complete}", "{kind: edges, edges: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]}"] {
                let directory = try Self.run(Self.topology(algorithm: algorithm, keys: keys, network: network, nodes: 6, rounds: 4,
                                                           workers: 2, heterogeneity: 0), "dbo-identical")
                #expect(try Self.column("consensus_error", directory).allSatisfy { $0 == 0 })
                models.append(try Data(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.model))))
            }
            #expect(Set(models).count == 1, "\(algorithm)\(keys): the three graphs must give the same model")
        }
    }

    @Test func aSilentPeer_stopsTheRunWithAClearError_andKeepsTheCompletedIterations() throws {
        let topology = try Self.topology(algorithm: "ma_dsbo", network: "{kind: ring}", nodes: 6, rounds: 20, timeout: 1)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("dbo-silent"))
        let options = [Worker.Options(name: "worker-0"), Worker.Options(name: "worker-1", failAfterIterations: 3),
                       Worker.Options(name: "worker-2")]
        #expect {
            _ = try ThreadedRun.run(topology: topology, runDirectory: directory, workerOptions: options)
        } throws: { error in
            guard case let RuntimeError.peerFailed(iteration, reason)? = error as? RuntimeError else { return false }
            return iteration == 4 && (reason.contains("no gossip") || reason.contains("sent nothing"))
        }
        #expect(try Self.column("round", directory) == [1, 2, 3])
        let events = try TopologyFixtures.events(directory.url.path)
        #expect(events.contains { $0["event"] as? String == "peer_failed" })
    }

    @Test func aRunStoppedByAFailedPeer_resumesFromItsCheckpoint_toTheUninterruptedResult() throws {
        let keys = ", gradient_tracking: all, moving_average: 0.5"
        let topology = try Self.topology(algorithm: "ma_dsbo", keys: keys, network: "{kind: ring}", nodes: 6, rounds: 8, timeout: 1)
        let whole = try Self.run(topology, "dbo-whole")
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("dbo-resume"))
        let failing = [Worker.Options(name: "worker-0"), Worker.Options(name: "worker-1", failAfterIterations: 3),
                       Worker.Options(name: "worker-2")]
        #expect(throws: RuntimeError.self) {
            _ = try ThreadedRun.run(topology: topology, runDirectory: directory, workerOptions: failing)
        }
        #expect(try Self.column("round", directory) == [1, 2, 3])
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory, resume: true)
        #expect(try Self.column("round", directory) == Array(1...8).map(Double.init))
        let expected = try Self.layoutFreeMetrics(whole), resumed = try Self.layoutFreeMetrics(directory)
        // Columns that count this process layout's traffic or rejections aside, the rows are identical.
        #expect(resumed.count == expected.count)
        let final = try Data(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.model)))
        let reference = try Data(contentsOf: URL(fileURLWithPath: whole.path(RunDirectory.File.model)))
        #expect(try ModelFile.decode(final).parameters == ModelFile.decode(reference).parameters)
        #expect(try Self.column("hypergrad_norm", directory) == Self.column("hypergrad_norm", whole))
        #expect(try Self.column("consensus_error", directory) == Self.column("consensus_error", whole))
    }

    @Test func disconnectedOrMismatchedNetworks_areRejected() {
        func message(_ network: String, algorithm: String = "ma_dsbo", nodes: Int = 6) -> String? {
            do { _ = try Self.topology(algorithm: algorithm, network: network, nodes: nodes, rounds: 1); return nil } catch {
                return "\(error)"
            }
        }
        #expect(message("{kind: edges, edges: [[0, 1], [2, 3], [3, 4], [4, 5]]}")?.contains("disconnected") == true)
        #expect(message("{kind: erdos_renyi, p: 0}")?.contains("disconnected") == true)
        #expect(message("{kind: torus}", nodes: 8)?.contains("torus") == true)
        #expect(message("{kind: edges, edges: [[0, 9]]}") != nil)
        #expect(message("{kind: star}")?.contains("decentralized") == true)
        #expect(message("{kind: ring}", algorithm: "fedmbo")?.contains("decentralized algorithm") == true)
        #expect(message("{kind: erdos_renyi, p: 0.9, seed: 3}") == nil)
    }
}
