import FedAlgorithms
import FedModels
import FedReport
import FedRuntime
import FedTestSupport
import FedWire
import Foundation
import Testing

/// The determinism contract: same topology and seed ⇒ identical metrics (but wall time) and model,
/// whatever the worker count and transport.
@Suite struct DeterminismTests {
    func runOnce(workers: Int, transport: Topology.Transport) throws -> (metrics: [String], model: Data) {
        let topology = try TopologyFixtures.tinyDigits(clients: 15, perRound: 7, rounds: 4, workers: workers)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("determinism"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory, transport: transport)
        let model = try Data(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.model)))
        return (try TopologyFixtures.deterministicMetrics(directory.url.path), model)
    }

    @Test func metricsAndModel_acrossWorkerCountsAndTransports_areIdentical() throws {
        let reference = try runOnce(workers: 1, transport: .inproc)
        #expect(reference.metrics.count == 5, "header + 4 rounds")
        for (workers, transport) in [(3, Topology.Transport.inproc), (2, .tcp), (3, .ipc)] {
            let other = try runOnce(workers: workers, transport: transport)
            #expect(other.metrics == reference.metrics, "\(workers) workers over \(transport)")
            #expect(other.model == reference.model, "\(workers) workers over \(transport)")
        }
    }

    @Test func aSlowWorker_withinTheTimeout_changesNoResult() throws {
        let topology = try TopologyFixtures.tinyDigits(clients: 10, perRound: 4, rounds: 3, timeout: 5)
        let fast = try RunDirectory(existing: Fixtures.temporaryDirectory("fast"))
        let slow = try RunDirectory(existing: Fixtures.temporaryDirectory("slow"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: fast)
        _ = try ThreadedRun.run(topology: topology, runDirectory: slow, workerOptions: [
            Worker.Options(name: "quick"), Worker.Options(name: "sluggish", delayPerTaskSeconds: 0.05),
        ])
        #expect(try TopologyFixtures.deterministicMetrics(slow.url.path) == TopologyFixtures.deterministicMetrics(fast.url.path))
    }

    @Test func differentSeeds_giveDifferentModels() throws {
        let a = try TopologyFixtures.tinyDigits(rounds: 2, seed: 1)
        let b = try TopologyFixtures.tinyDigits(rounds: 2, seed: 2)
        let da = try RunDirectory(existing: Fixtures.temporaryDirectory()), db = try RunDirectory(existing: Fixtures.temporaryDirectory())
        let sa = try ThreadedRun.run(topology: a, runDirectory: da)
        let sb = try ThreadedRun.run(topology: b, runDirectory: db)
        #expect(sa.finalParameters != sb.finalParameters)
    }

    @Test func bytesDown_equalsTheSizeOfTheTaskEnvelopesSent() throws {
        // Rebuild every task envelope of every round independently (sampled clients from events.jsonl,
        // tensor names and shapes from the model) and compare the summed sizes with metrics.csv.
        let topology = try TopologyFixtures.tinyDigits(clients: 10, perRound: 5, rounds: 3)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory())
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        let events = try TopologyFixtures.events(directory.url.path)
        #expect(!events.contains { $0["event"] as? String == "shutdown_unconfirmed" }, "every worker confirmed its shutdown")
        let starts = events.filter { $0["event"] as? String == "round_start" }
        let model = MLP(inputDimension: 64, hidden: [16], classCount: 10)
        let tensors = model.layout.split([Float](repeating: 1, count: model.layout.totalCount))
        for (index, start) in starts.enumerated() {
            let round = try #require(start["round"] as? Int)
            let sampled = try #require(start["sampled"] as? [Int])
            var expected = 0
            for client in sampled {
                var envelope = Fedsim_V1_Envelope()
                envelope.runID = "tiny-3"
                envelope.sender = "coordinator"
                envelope.receiver = "client-\(client)"
                envelope.round = UInt64(round)
                envelope.seq = 1
                envelope.body = .task(ClientTask(clientID: client, tensors: tensors).wireTask())
                expected += EnvelopeCodec.encode(envelope).count
            }
            #expect(try #require(table.column("bytes_down"))[index] == Double(expected), "round \(round)")
        }
    }

    @Test func timings_carryTheWorkersComputeAndBLASSeconds() throws {
        let topology = try TopologyFixtures.tinyDigits(clients: 6, perRound: 3, rounds: 3)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory())
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        let timings = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.timings)))
        let compute = try #require(timings.column("client_compute_s"))
        let blas = try #require(timings.column("client_blas_s"))
        #expect(compute.count == 3)
        for (c, b) in zip(compute, blas) {
            #expect(b > 0, "an MLP's training calls sgemm")
            #expect(b <= c, "BLAS time is part of the compute time")
        }
        let metricsHeader = try String(contentsOfFile: directory.path(RunDirectory.File.metrics), encoding: .utf8)
            .split(separator: "\n").first ?? ""
        #expect(!metricsHeader.contains("timing"), "timings stay out of metrics.csv")
    }
}
