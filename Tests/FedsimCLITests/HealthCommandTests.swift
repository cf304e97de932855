import FedTestSupport
import Foundation
import Testing

/// `fedsim health`: healthy while a coordinator or worker keeps its health file fresh, unhealthy
/// once the process stops looping, and for a file that was never made.
@Suite struct HealthCommandTests {
    @Test func healthFile_isFreshWhileTheProcessesLoop_andStaleOnceTheyHang() throws {
        let directory = Fixtures.temporaryDirectory("health")
        let topology = try CLIHarness.writeTinyTopology(rounds: 2, directory: directory)
        let coordinatorFile = directory + "/coordinator.alive", workerFile = directory + "/worker.alive"
        // The coordinator waits for two workers; only one comes, so both stay in their loops.
        let (coordinator, _, _) = try CLIHarness.start(["coordinator", "--config", topology, "--bind", "tcp://127.0.0.1:*",
                                                        "--out", directory + "/run", "--quiet", "--health-file", coordinatorFile,
                                                        "--set", "federation.join_timeout_s=60"])
        defer { if coordinator.isRunning { kill(coordinator.processIdentifier, SIGKILL) } }
        var endpoint = ""
        for _ in 0..<1500 where endpoint.isEmpty {
            endpoint = ((try? String(contentsOfFile: directory + "/run/endpoint", encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            usleep(10_000)
        }
        try #require(!endpoint.isEmpty, "the coordinator did not bind")
        // The worker takes its health file from the environment, as in the container image.
        let worker = Process()
        worker.executableURL = URL(fileURLWithPath: CLIHarness.executable)
        worker.arguments = ["worker", "--connect", endpoint]
        worker.environment = ProcessInfo.processInfo.environment.merging(["FEDSIM_HEALTH_FILE": workerFile]) { $1 }
        worker.standardOutput = FileHandle.nullDevice
        worker.standardError = FileHandle.nullDevice
        try worker.run()
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        for _ in 0..<1000 where !FileManager.default.fileExists(atPath: workerFile) { usleep(10_000) }

        let healthy = try CLIHarness.run(["health", coordinatorFile, "--max-age", "5"])
        #expect(healthy.status == 0 && healthy.stdout.contains("healthy"), "\(healthy.stderr)")
        #expect(try CLIHarness.run(["health", workerFile, "--max-age", "5"]).status == 0)

        // A stopped process no longer touches its file: after the limit it reads as unhealthy.
        kill(coordinator.processIdentifier, SIGSTOP)
        usleep(2_500_000)
        let stale = try CLIHarness.run(["health", coordinatorFile, "--max-age", "1"])
        #expect(stale.status == 1 && stale.stderr.contains("last touched"), "\(stale.stderr)")
        #expect(try CLIHarness.run(["health", workerFile, "--max-age", "1"]).status == 0, "the worker still loops")
        kill(coordinator.processIdentifier, SIGCONT)
        usleep(1_500_000)
        #expect(try CLIHarness.run(["health", coordinatorFile, "--max-age", "1"]).status == 0, "fresh again once resumed")

        let missing = try CLIHarness.run(["health", directory + "/never-made"])
        #expect(missing.status == 1 && missing.stderr.contains("does not exist"))
    }
}
