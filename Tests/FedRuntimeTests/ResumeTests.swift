import FedReport
import FedRuntime
import FedTestSupport
import Foundation
import Testing

/// A coordinator restarted from its checkpoint continues exactly as the uninterrupted run.
@Suite struct ResumeTests {
    @Test func resumeAfterRound3_givesTheSameMetricsAndModelAsAnUninterruptedRun() throws {
        let full = try TopologyFixtures.tinyDigits(clients: 12, perRound: 5, rounds: 6)
        let reference = try RunDirectory(existing: Fixtures.temporaryDirectory("resume-reference"))
        _ = try ThreadedRun.run(topology: full, runDirectory: reference)

        // The "interrupted" run stops after round 3. As a crash during round 4 would leave it, row 3 is
        // missing (rows are written one round late) and a stray row 4 that no checkpoint covers is there.
        let interrupted = try RunDirectory(existing: Fixtures.temporaryDirectory("resume-interrupted"))
        _ = try ThreadedRun.run(topology: try TopologyFixtures.tinyDigits(clients: 12, perRound: 5, rounds: 3), runDirectory: interrupted)
        let metricsPath = interrupted.path(RunDirectory.File.metrics)
        var lines = try String(contentsOfFile: metricsPath, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        lines.removeLast()
        lines.append("4,0.1,1,1,1,0,0,9,9,0.5")
        try (lines.joined(separator: "\n") + "\n").write(toFile: metricsPath, atomically: true, encoding: .utf8)

        _ = try ThreadedRun.run(topology: full, runDirectory: interrupted, workerOptions: [Worker.Options(name: "w")], resume: true)
        #expect(try TopologyFixtures.deterministicMetrics(interrupted.url.path) == TopologyFixtures.deterministicMetrics(reference.url.path))
        let modelA = try Data(contentsOf: URL(fileURLWithPath: reference.path(RunDirectory.File.model)))
        let modelB = try Data(contentsOf: URL(fileURLWithPath: interrupted.path(RunDirectory.File.model)))
        #expect(modelA == modelB)
        let events = try TopologyFixtures.events(interrupted.url.path)
        #expect(events.contains { $0["event"] as? String == "resumed" && $0["round"] as? Int == 3 })
    }

    @Test func resume_withACheckpointOfAnotherModel_isRefused() throws {
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("resume-mismatch"))
        _ = try ThreadedRun.run(topology: try TopologyFixtures.tinyDigits(rounds: 1), runDirectory: directory)
        let other = try TopologyFixtures.parse("""
        name: tiny
        seed: 3
        algorithm: {name: fedavg, rounds: 3}
        workload: {model: {kind: logreg}, dataset: {name: digits}, partition: {kind: iid}}
        federation: {clients: 12, per_round: 6, join_timeout_s: 20}
        processes: {workers: 1}
        output: {plot: false}
        """)
        #expect {
            _ = try ThreadedRun.run(topology: other, runDirectory: directory, resume: true)
        } throws: { "\($0)".contains("does not match this topology") }
    }
}

@Suite struct QuorumTests {
    @Test(arguments: [(0.55, 100, 55), (0.07, 100, 7), (0.28, 50, 14), (1.0, 3, 3), (0.8, 10, 8), (0.81, 10, 9),
                      (0.0, 5, 1), (0.5, 1, 1), (0.3333, 3, 1), (0.34, 3, 2)])
    func quorumCount_isTheCeilingOfTheDecimalProduct(quorum: Double, sampled: Int, needed: Int) {
        #expect(Coordinator.quorumCount(quorum: quorum, sampled: sampled) == needed, "quorum \(quorum) of \(sampled)")
    }
}
