import FedReport
import FedRuntime
import FedTestSupport
import Foundation
import Testing

/// Persistent client state through the real coordinator/worker path, with FedMM (client-held duals).
@Suite struct ClientStateTests {
    func run(_ algorithm: String, keys: String = "", workers: [Worker.Options]? = nil, transport: Topology.Transport = .inproc,
             rounds: Int = 4, timeout: Double = 20) throws -> (directory: RunDirectory, summary: Coordinator.Summary) {
        let topology = try TopologyFixtures.tinyDigits(clients: 12, perRound: 6, rounds: rounds, timeout: timeout, quorum: 0.5,
                                                       algorithm: algorithm, extraAlgorithmKeys: keys)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("state-\(algorithm)"))
        return (directory, try ThreadedRun.run(topology: topology, runDirectory: directory, transport: transport, workerOptions: workers))
    }

    func table(_ directory: RunDirectory) throws -> MetricsTable {
        try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
    }

    @Test func fedMMWithMuZero_isExactlyFedAvg() throws {
        let fedavg = try run("fedavg")
        let fedmm = try run("fedmm", keys: ", mu: 0")
        #expect(fedmm.summary.finalParameters == fedavg.summary.finalParameters)
        #expect(try TopologyFixtures.deterministicMetrics(fedmm.directory.url.path)
                == TopologyFixtures.deterministicMetrics(fedavg.directory.url.path))
    }

    @Test func fedMM_duals_persistOnTheirClients_identicallyForAnyWorkerCount() throws {
        let one = try run("fedmm", keys: ", mu: 0.5", workers: [Worker.Options(name: "solo")])
        let three = try run("fedmm", keys: ", mu: 0.5", workers: (0..<3).map { Worker.Options(name: "w\($0)") }, transport: .tcp)
        #expect(try TopologyFixtures.deterministicMetrics(one.directory.url.path)
                == TopologyFixtures.deterministicMetrics(three.directory.url.path))
        #expect(one.summary.finalParameters == three.summary.finalParameters)
        // The duals matter: FedProx with the same μ (no duals) ends elsewhere.
        let fedprox = try run("fedprox", keys: ", mu: 0.5")
        #expect(fedprox.summary.finalParameters != one.summary.finalParameters)
    }

    @Test func fedMM_movesNoMoreAlgorithmBytesThanFedAvg_andReportsItsStateTrafficApart() throws {
        let fedavg = try table(try run("fedavg").directory)
        let fedmm = try table(try run("fedmm", keys: ", mu: 0.5").directory)
        #expect(fedmm.column("bytes_up") == fedavg.column("bytes_up"))
        #expect(fedmm.column("bytes_down") == fedavg.column("bytes_down"))
        #expect(try #require(fedavg.column("bytes_state")).allSatisfy { $0 == 0 })
        // Every update carries the client's dual (one model's worth) for checkpoints.
        let state = try #require(fedmm.column("bytes_state")), up = try #require(fedmm.column("bytes_up"))
        for (s, u) in zip(state, up) { #expect(s > 0.9 * u && s < 1.1 * u) }
    }

    @Test func fedMM_resumedFromACheckpoint_continuesWithTheSameDuals() throws {
        let full = try run("fedmm", keys: ", mu: 0.5", rounds: 5)
        let cutTopology = try TopologyFixtures.tinyDigits(clients: 12, perRound: 6, rounds: 2, quorum: 0.5, algorithm: "fedmm",
                                                          extraAlgorithmKeys: ", mu: 0.5")
        let fullTopology = try TopologyFixtures.tinyDigits(clients: 12, perRound: 6, rounds: 5, quorum: 0.5, algorithm: "fedmm",
                                                           extraAlgorithmKeys: ", mu: 0.5")
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("state-resume"))
        _ = try ThreadedRun.run(topology: cutTopology, runDirectory: directory)
        let resumed = try ThreadedRun.run(topology: fullTopology, runDirectory: directory,
                                          workerOptions: (0..<3).map { Worker.Options(name: "r\($0)") }, resume: true)
        #expect(resumed.finalParameters == full.summary.finalParameters)
        let a = try TopologyFixtures.deterministicMetrics(full.directory.url.path)
        let b = try TopologyFixtures.deterministicMetrics(directory.url.path)
        // bytes_state differs after the resume (states are re-sent once); every other column is identical.
        let withoutState = { (rows: [String]) in rows.map { $0.split(separator: ",", omittingEmptySubsequences: false)
            .enumerated().filter { $0.offset != 3 }.map { String($0.element) }.joined(separator: ",") } }
        #expect(withoutState(a) == withoutState(b))
    }

    @Test func fedMM_afterAWorkerDies_itsClientsContinueWithTheirDuals() throws {
        let result = try run("fedmm", keys: ", mu: 0.5",
                             workers: [Worker.Options(name: "steady"), Worker.Options(name: "doomed", failAfterTasks: 3)],
                             rounds: 5, timeout: 0.5)
        #expect(result.summary.rounds == 5)
        let events = try TopologyFixtures.events(result.directory.url.path)
        #expect(events.contains { $0["event"] as? String == "worker_dropped" })
        #expect(result.summary.finalParameters.allSatisfy { $0.isFinite })
    }
}
