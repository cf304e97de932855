import FedReport
import FedTestSupport
import Foundation
import Testing

/// `fedsim run` on a topology with a sweep, and `--set` overrides, over real processes.
@Suite struct SweepCommandTests {
    static func writeSweep(directory: String, values: String) throws -> String {
        let yaml = """
        name: cli-sweep
        seed: 2
        algorithm: {name: fedmbo, rounds: 12, inner_rounds: 1, neumann_rounds: 2, lr_outer: 0.1, batch_size: 1}
        workload:
          model: {kind: quadratic_bilevel, noise: 0.1}
          dataset: {name: quadratic_bilevel, upper_dimension: 2, lower_dimension: 3}
          partition: {kind: iid}
        federation: {clients: 6, per_round: 2}
        processes: {workers: 2, transport: tcp}
        output: {dir: "\(directory)/run", plot: false}
        sweep: {key: federation.per_round, values: \(values), metric: hypergrad_norm_sq, last_fraction: 0.5}
        """
        let path = directory + "/sweep.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func sweep_runsEveryValue_andSummarisesThePlateaus() throws {
        let directory = Fixtures.temporaryDirectory("cli-sweep")
        let topology = try Self.writeSweep(directory: directory, values: "[1, 3, 6]")
        let output = try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/s"])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let csv = try String(contentsOfFile: directory + "/s/sweep.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 4, "header + 3 values")
        for (line, n) in zip(csv.dropFirst(), [1, 3, 6]) {
            let fields = line.split(separator: ",")
            #expect(fields[0] == "\(n)")
            // The plateau is the mean of the last 6 of 12 rounds of that run's metrics.
            let run = directory + "/s/per_round-\(n)"
            let values = try #require(try MetricsTable(contentsOf: URL(fileURLWithPath: run + "/metrics.csv")).column("hypergrad_norm_sq"))
            let expected = values.suffix(6).reduce(0, +) / 6
            #expect(abs(Double(fields[1])! - expected) <= 1e-12 * max(1, expected))
            let sampled = try TopologyFixtures.events(run).first { $0["event"] as? String == "round_start" }?["sampled"] as? [Int]
            #expect(sampled?.count == n, "the run for per_round = \(n) samples \(n) clients")
        }
        let svg = try String(contentsOfFile: directory + "/s/sweep.svg", encoding: .utf8)
        #expect(svg.contains("<svg") && svg.contains("plateau of hypergrad norm sq"))
    }

    @Test func sweep_withAnImpossibleValue_isRejectedBeforeAnyRun() throws {
        let directory = Fixtures.temporaryDirectory("cli-sweep-bad")
        let topology = try Self.writeSweep(directory: directory, values: "[2, 9]")
        let output = try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/s"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("per_round"), "stderr: \(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/s"))
    }

    @Test func set_overridesAKey_inTheLauncherAndTheCoordinator() throws {
        let directory = Fixtures.temporaryDirectory("cli-set")
        let topology = try CLIHarness.writeTinyTopology(rounds: 5, directory: directory)
        let output = try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/a", "--set", "algorithm.rounds=2",
                                         "--set", "federation.per_round=3"])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory + "/a/metrics.csv"))
        #expect(table.rows.count == 2)
        #expect(table.column("participants")?.allSatisfy { $0 == 3 } == true)
        let bad = try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/b", "--set", "federation.per_round=abc"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("federation.per_round"), "stderr: \(bad.stderr)")
    }
}
