import FedTestSupport
import Foundation

/// Runs the built `fedsim` binary as a user would.
enum CLIHarness {
    /// The `fedsim` executable next to the test bundle.
    static var executable: String {
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: selfPath).deletingLastPathComponent().appendingPathComponent("fedsim").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

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

    /// Runs to completion (bounded by `timeout` seconds, then killed).
    static func run(_ arguments: [String], timeout: Double = 120) throws -> Output {
        let (process, out, err) = try start(arguments)
        let deadline = Date().addingTimeInterval(timeout)
        let outData = ReadBox(), errData = ReadBox()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.interrupt(); usleep(500_000); kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        group.wait()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
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
