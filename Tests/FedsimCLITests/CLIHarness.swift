import FedTestSupport
import Foundation

/// Runs the built `fedsim` binary as a user would.
enum CLIHarness {
    /// The `fedsim` executable next to the test bundle.
    static var executable: String {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("fedsim").path
    }

    typealias Output = ShellCommand.Output

    /// Starts `fedsim arguments...` and returns the process (for signal tests).
    static func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = Fixtures.repositoryRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Runs to completion (bounded by `timeout` seconds, then interrupted and killed).
    static func run(_ arguments: [String], timeout: Double = 120) throws -> Output {
        let (process, out, err) = try start(arguments)
        return ShellCommand.collect(process, out: out, err: err, timeout: timeout, interruptFirst: true)
    }

    /// Writes a small topology file (absolute data path) and returns its path.
    static func writeTinyTopology(rounds: Int, clients: Int = 12, workers: Int = 2, timeout: Double = 10,
                                  directory: String) throws -> String {
        let yaml = """
        name: cli-tiny
        seed: 5
        algorithm: {name: fedavg, rounds: \(rounds), local_epochs: 1, batch_size: 16, lr: 0.1}
        workload:
          model: {kind: mlp, hidden: [16]}
          dataset: {name: digits, path: "\(Fixtures.path("data/digits/digits.csv"))"}
          partition: {kind: iid}
        federation: {clients: \(clients), per_round: 6, timeout_s: \(timeout), quorum: 0.5}
        processes: {workers: \(workers), transport: tcp}
        output: {dir: "\(directory)/run", plot: true}
        """
        let path = directory + "/tiny.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes a tiny decentralized topology (MA-DSBO over a ring of 6 peers, 5 iterations) to
    /// `directory/ring.yaml` and returns its path; `outputDirectory` sets `output.dir`.
    static func writeRingTopology(directory: String, outputDirectory: String? = nil) throws -> String {
        let path = directory + "/ring.yaml"
        try """
        name: ring-peers
        seed: 3
        algorithm: {name: ma_dsbo, rounds: 5, gradient_tracking: all}
        workload:
          model: {kind: quadratic_bilevel}
          dataset: {name: quadratic_bilevel, upper_dimension: 3, lower_dimension: 2}
          partition: {kind: iid}
        federation: {clients: 6, timeout_s: 10}
        network: {kind: ring}
        processes: {workers: 2, transport: tcp}
        output: {\(outputDirectory.map { "dir: \($0), " } ?? "")plot: false}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes a small secure-XGB party run (2 parties, synthetic regression, 2 trees, seeded dealer
    /// keys so transcripts repeat) to `directory/party.yaml` and returns its path.
    static func writePartyTopology(directory: String) throws -> String {
        let path = directory + "/party.yaml"
        try """
        name: party-cli
        seed: 4
        algorithm: {name: secure_xgb, rounds: 2, depth: 3, buckets: 8, loss: squared, randomness: seeded}
        workload:
          dataset: {name: synthetic_regression, rows: 500, features: 8}
          partition: {kind: vertical, party0: "0-3", party1: "4-7"}
        federation: {clients: 2, timeout_s: 20}
        processes: {workers: 2, transport: tcp}
        output: {plot: false}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The columns of a party run's metrics.csv that must not depend on the process layout (all but
    /// wall-clock ones), row by row.
    static func partyMetrics(_ directory: String) throws -> [String] {
        let lines = try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let timing: Set<Substring> = ["wall_s", "tree_seconds", "plaintext_train_seconds"]
        let keep = header.indices.filter { !timing.contains(header[$0]) }
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { String(fields[$0]) }.joined(separator: ",")
        }
    }

    /// Waits until the run's metrics.csv holds more than `rows` rounds (or `timeout` seconds pass).
    static func waitForMetricsRows(in runDirectory: String, moreThan rows: Int, timeout: Double) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: runDirectory + "/metrics.csv", encoding: .utf8),
               text.split(separator: "\n").count - 1 > rows { return }
            usleep(2_000)
        }
    }

    /// Process ids of the workers that joined, read from events.jsonl.
    static func workerPIDs(_ runDirectory: String) -> [Int32] {
        guard let events = try? TopologyFixtures.events(runDirectory) else { return [] }
        return events.filter { $0["event"] as? String == "join" }.compactMap { ($0["pid"] as? Int).map(Int32.init) }
    }

    /// Whether a process is alive and not a zombie.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        return state != "Z" && state != "X"
    }
}

final class ReadBox: @unchecked Sendable {
    var data = Data()
}
