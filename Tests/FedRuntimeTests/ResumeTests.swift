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

        // The "interrupted" run stops after round 3 and, as a crash mid-round might, leaves a row
        // (round 4) that its checkpoint does not cover.
        let interrupted = try RunDirectory(existing: Fixtures.temporaryDirectory("resume-interrupted"))
        _ = try ThreadedRun.run(topology: try TopologyFixtures.tinyDigits(clients: 12, perRound: 5, rounds: 3), runDirectory: interrupted)
        let metricsPath = interrupted.path(RunDirectory.File.metrics)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: metricsPath))
        try handle.seekToEnd()
        handle.write(Data("4,0.1,1,1,1,0,0,9,9,0.5\n".utf8))
        try handle.close()

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
