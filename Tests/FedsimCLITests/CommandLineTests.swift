import FedReport
import FedTestSupport
import Foundation
import Testing

/// The built binary, used as a user would: multi-process runs over tcp, validation, plots.
@Suite(.serialized) struct CommandLineTests {
    @Test func run_multiProcess_writesTheRunDirectory_andLeavesNoProcesses() throws {
        let directory = Fixtures.temporaryDirectory("cli-run")
        let topology = try CLIHarness.writeTinyTopology(rounds: 3, directory: directory)
        let output = try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/a"])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        #expect(output.stdout.contains("run directory: \(directory)/a"))
        for file in ["config.yaml", "metrics.csv", "events.jsonl", "final_model.bin", "convergence.svg"] {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/a/\(file)"), "missing \(file)")
        }
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: "\(directory)/a/metrics.csv"))
        #expect(table.rows.count == 3)
        let pids = CLIHarness.workerPIDs(directory + "/a")
        #expect(pids.count == 2)
        #expect(pids.allSatisfy { !CLIHarness.isAlive($0) }, "worker processes outlived the run")
    }

    @Test func run_withDifferentProcessCounts_givesIdenticalMetricsAndModel() throws {
        let directory = Fixtures.temporaryDirectory("cli-determinism")
        let topology = try CLIHarness.writeTinyTopology(rounds: 3, directory: directory)
        var results = [[String]]()
        var models = [Data]()
        for (index, arguments) in [["--workers", "1"], ["--workers", "3"], ["--workers", "2", "--transport", "ipc"]].enumerated() {
            let out = "\(directory)/r\(index)"
            let output = try CLIHarness.run(["run", topology, "--quiet", "--out", out] + arguments)
            #expect(output.status == 0, "stderr: \(output.stderr)")
            results.append(try TopologyFixtures.deterministicMetrics(out))
            models.append(try Data(contentsOf: URL(fileURLWithPath: out + "/final_model.bin")))
        }
        #expect(results[0] == results[1] && results[1] == results[2])
        #expect(models[0] == models[1] && models[1] == models[2])
    }

    @Test func sigterm_toTheLauncher_stopsEveryProcess() throws {
        let directory = Fixtures.temporaryDirectory("cli-sigterm")
        let topology = try CLIHarness.writeTinyTopology(rounds: 1_000_000, directory: directory)
        let (process, _, _) = try CLIHarness.start(["run", topology, "--quiet", "--out", directory + "/run"])
        CLIHarness.waitForMetricsRows(in: directory + "/run", moreThan: 2, timeout: 60)
        let pids = CLIHarness.workerPIDs(directory + "/run")
        #expect(pids.count == 2)
        process.terminate()  // SIGTERM to the launcher only
        process.waitUntilExit()
        let gone = Date().addingTimeInterval(10)
        while Date() < gone && pids.contains(where: CLIHarness.isAlive) { usleep(20_000) }
        #expect(!pids.contains(where: CLIHarness.isAlive), "workers survived the launcher's SIGTERM")
        #expect(process.terminationStatus != 0)
    }

    @Test func interruptedRun_resumed_equalsTheUninterruptedRun() throws {
        let directory = Fixtures.temporaryDirectory("cli-resume")
        let topology = try CLIHarness.writeTinyTopology(rounds: 600, directory: directory)
        #expect(try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/full"]).status == 0)
        let (process, _, _) = try CLIHarness.start(["run", topology, "--quiet", "--out", directory + "/cut"])
        CLIHarness.waitForMetricsRows(in: directory + "/cut", moreThan: 19, timeout: 60)
        process.terminate()
        process.waitUntilExit()
        let resumed = try CLIHarness.run(["run", topology, "--quiet", "--resume", directory + "/cut"])
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(try TopologyFixtures.deterministicMetrics(directory + "/cut") == TopologyFixtures.deterministicMetrics(directory + "/full"))
        let full = try Data(contentsOf: URL(fileURLWithPath: directory + "/full/final_model.bin"))
        let cut = try Data(contentsOf: URL(fileURLWithPath: directory + "/cut/final_model.bin"))
        #expect(full == cut)
    }

    @Test func sigkill_ofTheLauncher_takesItsChildrenWithIt() throws {
        let directory = Fixtures.temporaryDirectory("cli-sigkill-launcher")
        let topology = try CLIHarness.writeTinyTopology(rounds: 1_000_000, directory: directory)
        let (process, _, _) = try CLIHarness.start(["run", topology, "--quiet", "--out", directory + "/run"])
        CLIHarness.waitForMetricsRows(in: directory + "/run", moreThan: 2, timeout: 60)
        let pids = CLIHarness.workerPIDs(directory + "/run")
        #expect(pids.count == 2)
        kill(process.processIdentifier, SIGKILL)  // no chance to forward anything: the kernel must do it
        process.waitUntilExit()
        let gone = Date().addingTimeInterval(10)
        while Date() < gone && pids.contains(where: CLIHarness.isAlive) { usleep(20_000) }
        #expect(!pids.contains(where: CLIHarness.isAlive), "workers outlived a SIGKILLed launcher")
    }

    @Test func sigkill_ofOneWorker_isSurvived() throws {
        let directory = Fixtures.temporaryDirectory("cli-kill-worker")
        let topology = try CLIHarness.writeTinyTopology(rounds: 300, workers: 2, timeout: 1, directory: directory)
        let (process, _, _) = try CLIHarness.start(["run", topology, "--quiet", "--out", directory + "/run"])
        let deadline = Date().addingTimeInterval(90)
        CLIHarness.waitForMetricsRows(in: directory + "/run", moreThan: 4, timeout: 60)
        let pids = CLIHarness.workerPIDs(directory + "/run")
        try #require(pids.count == 2)
        kill(pids[1], SIGKILL)
        let victim = try TopologyFixtures.events(directory + "/run")
            .first { $0["event"] as? String == "join" && $0["pid"] as? Int == Int(pids[1]) }?["worker"] as? String
        while process.isRunning && Date() < deadline { usleep(20_000) }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let events = try TopologyFixtures.events(directory + "/run")
        #expect(events.contains { $0["event"] as? String == "run_complete" })
        let dropped = events.filter { $0["event"] as? String == "worker_dropped" }
        #expect(dropped.count == 1 && dropped.first?["worker"] as? String == victim)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory + "/run/metrics.csv"))
        #expect(table.rows.count == 300)
    }

    @Test func coordinatorAndWorkers_startedByHand_runTheSameRun() throws {
        let directory = Fixtures.temporaryDirectory("cli-by-hand")
        let topology = try CLIHarness.writeTinyTopology(rounds: 3, directory: directory)
        #expect(try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/launched"]).status == 0)
        let (coordinator, out, _) = try CLIHarness.start(["coordinator", "--config", topology, "--bind", "tcp://127.0.0.1:*",
                                                           "--out", directory + "/by-hand", "--quiet"])
        var endpoint: String?
        let deadline = Date().addingTimeInterval(30)
        while endpoint == nil && Date() < deadline {
            endpoint = (try? String(contentsOfFile: directory + "/by-hand/endpoint", encoding: .utf8))
                .flatMap { $0.hasSuffix("\n") ? $0.trimmingCharacters(in: .whitespacesAndNewlines) : nil }
            usleep(5_000)
        }
        let address = try #require(endpoint)
        let workers = try (0..<2).map { try CLIHarness.start(["worker", "--connect", address, "--name", "hand-\($0)"]).0 }
        while coordinator.isRunning && Date() < deadline.addingTimeInterval(30) { usleep(10_000) }
        coordinator.waitUntilExit()
        for worker in workers { worker.waitUntilExit() }
        #expect(coordinator.terminationStatus == 0)
        #expect(workers.allSatisfy { $0.terminationStatus == 0 }, "workers exit cleanly on Shutdown")
        let summary = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(summary.contains("run directory: \(directory)/by-hand"))
        #expect(try TopologyFixtures.deterministicMetrics(directory + "/by-hand") == TopologyFixtures.deterministicMetrics(directory + "/launched"))
    }

    @Test func validate_badFile_namesFileLineAndKey() throws {
        let directory = Fixtures.temporaryDirectory("cli-validate")
        let path = directory + "/bad.yaml"
        try """
        name: bad
        algorithm: {name: fedavg, rounds: 5}
        workload:
          model: {kind: mlp, hidden: [16]}
          dataset: {name: digits}
          partition: {kind: dirichlet, alpha: -3}
        federation: {clients: 10}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let output = try CLIHarness.run(["validate", path])
        #expect(output.status == 2)
        #expect(output.stderr.contains("\(path):6:"), "stderr: \(output.stderr)")
        #expect(output.stderr.contains("workload.partition.alpha"), "stderr: \(output.stderr)")
    }

    @Test func validate_everyShippedTopology_passes() throws {
        let folder = Fixtures.path("topologies")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count >= 4)
        let output = try CLIHarness.run(["validate"] + files.map { folder + "/" + $0 })
        #expect(output.status == 0, "stderr: \(output.stderr)")
        #expect(output.stdout.split(separator: "\n").filter { $0.hasSuffix(")") && $0.contains(": ok") }.count == files.count)
    }

    @Test func validate_aPeerGraph_printsItsRho() throws {
        // The ring of 9 with weights 1/3 has eigenvalues (1 + 2cos(2πk/9))/3; the largest below 1 is k = 1.
        let output = try CLIHarness.run(["validate", Fixtures.path("topologies/dbo-quadratic-networks.yaml")])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let expected = (1 + 2 * cos(2 * Double.pi / 9)) / 3
        #expect(output.stdout.contains(String(format: "rho = %.6f", expected)), "stdout: \(output.stdout)")
        #expect(output.stdout.contains("network: ring, 9 peers, 9 edges"))
        #expect(output.stdout.contains("sweep: network.kind over [ring, torus, complete]"))
    }

    @Test func plot_overlaysRuns() throws {
        let directory = Fixtures.temporaryDirectory("cli-plot")
        let topology = try CLIHarness.writeTinyTopology(rounds: 2, directory: directory)
        for name in ["alpha", "beta"] {
            #expect(try CLIHarness.run(["run", topology, "--quiet", "--transport", "inproc", "--out", "\(directory)/\(name)"]).status == 0)
        }
        let svgPath = directory + "/both.svg"
        let output = try CLIHarness.run(["plot", directory + "/alpha", directory + "/beta", "-o", svgPath])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(svg.contains(">alpha<") && svg.contains(">beta<"))
        #expect(try CLIHarness.run(["plot", directory + "/missing", "-o", svgPath]).status == 2)
    }

    @Test func list_namesAlgorithmsModelsDataSetsAndPartitioners() throws {
        let output = try CLIHarness.run(["list"])
        #expect(output.status == 0)
        for word in ["fedavg", "fedprox", "mlp", "logreg", "digits", "breast_cancer", "dirichlet", "label_split", "iid"] {
            #expect(output.stdout.contains(word), "list lacks \(word)")
        }
    }
}
