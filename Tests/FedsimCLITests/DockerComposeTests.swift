import FedReport
import FedTestSupport
import Foundation
import Testing

/// The docker-compose cluster on a real Docker engine: the image built offline from the binary under
/// test, docker-compose.yml as shipped, results on the host. Needs root and Debian's docker.io,
/// containerd, runc and docker-compose; skipped with the reason otherwise.
@Suite(.serialized, .enabled(if: DockerSandbox.availability.ok, Comment(rawValue: DockerSandbox.availability.reason)))
struct DockerComposeTests {
    /// Runs `body` with a fresh engine and image, then removes both whatever happens.
    func withSandbox(_ body: (DockerSandbox) throws -> Void) throws {
        let linksBefore = try Self.engineLinks()
        let sandbox = try DockerSandbox()
        defer {
            sandbox.stop()
            #expect(!FileManager.default.fileExists(atPath: sandbox.directory), "the engine's state was left behind")
            #expect((try? Self.engineLinks()) == linksBefore, "bridges or veth pairs were left behind")
            let engines = (try? ShellCommand.run(["pgrep", "-f", sandbox.directory + "/"]))?.stdout ?? ""
            #expect(engines.isEmpty, "engine processes outlived the test: \(engines)")
        }
        try body(sandbox)
    }

    /// The network links an engine makes in this namespace (compose bridges, veth ends, docker0).
    static func engineLinks() throws -> [String] {
        try ShellCommand.run(["ip", "-o", "link", "show"]).stdout.split(separator: "\n")
            .compactMap { $0.split(separator: ":").dropFirst().first?.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("br-") || $0.hasPrefix("veth") || $0.hasPrefix("docker") }.sorted()
    }

    /// Compose settings that run `topology` (a file in `folder`) with results in `folder/runs`.
    func settings(folder: String, topology: String, workers: Int) -> [String: String] {
        ["FEDSIM_TOPOLOGIES": folder, "FEDSIM_TOPOLOGY": topology, "FEDSIM_RUNS": folder + "/runs",
         "FEDSIM_WORKERS": String(workers)]
    }

    @Test func composeUp_withTheQuickStartTopology_reproducesTheHostRunBitForBit() throws {
        let folder = Fixtures.temporaryDirectory("compose-quickstart")
        try FileManager.default.copyItem(atPath: Fixtures.path("topologies/quickstart.yaml"), toPath: folder + "/quickstart.yaml")
        #expect(try CLIHarness.run(["run", folder + "/quickstart.yaml", "--quiet", "--out", folder + "/host"]).status == 0)
        try withSandbox { sandbox in
            let up = try sandbox.compose(project: "fsq", ["up", "--no-color"],
                                         settings: settings(folder: folder, topology: "quickstart.yaml", workers: 2), timeout: 240)
            #expect(up.status == 0, "docker-compose up failed: \(up.text)")
            #expect(up.text.contains("fsq_coordinator_1 exited with code 0"))
            // The run directory is the topology's output.dir, written through the mounted folder.
            let run = folder + "/runs/quickstart"
            #expect(try TopologyFixtures.deterministicMetrics(run) == TopologyFixtures.deterministicMetrics(folder + "/host"))
            #expect(FileManager.default.contents(atPath: run + "/final_model.bin")
                    == FileManager.default.contents(atPath: folder + "/host/final_model.bin"))
            #expect(FileManager.default.fileExists(atPath: run + "/convergence.svg"))
            // Two worker containers joined, from two different container hosts.
            let joins = try TopologyFixtures.events(run).filter { $0["event"] as? String == "join" }
            #expect(Set(joins.compactMap { $0["host"] as? String }).count == 2)
            _ = try sandbox.compose(project: "fsq", ["down"], settings: settings(folder: folder, topology: "quickstart.yaml", workers: 2))
        }
    }

    /// A graph run in compose: private state goes to the workers' shared folder on the host, never
    /// through the coordinator, and the results equal the host run's.
    @Test func composeUp_withAGraphWorkload_keepsPrivateStateInTheSharedFolder() throws {
        let folder = Fixtures.temporaryDirectory("compose-graph")
        let text = try String(contentsOfFile: Fixtures.path("topologies/asfgnn-cora.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "rounds: 100", with: "rounds: 4")
        try text.write(toFile: folder + "/asfgnn.yaml", atomically: true, encoding: .utf8)
        #expect(try CLIHarness.run(["run", folder + "/asfgnn.yaml", "--quiet", "--out", folder + "/host"]).status == 0)
        try withSandbox { sandbox in
            let up = try sandbox.compose(project: "fsg", ["up", "--no-color"],
                                         settings: settings(folder: folder, topology: "asfgnn.yaml", workers: 2), timeout: 240)
            #expect(up.status == 0, "docker-compose up failed: \(up.text)")
            let run = folder + "/runs/asfgnn-cora"
            #expect(try TopologyFixtures.deterministicMetrics(run) == TopologyFixtures.deterministicMetrics(folder + "/host"))
            for client in 0..<5 {
                #expect(FileManager.default.fileExists(atPath: folder + "/runs/private-state/client-\(client)/round-4.state"))
            }
            _ = try sandbox.compose(project: "fsg", ["down"], settings: settings(folder: folder, topology: "asfgnn.yaml", workers: 2))
        }
    }

    @Test func killingAWorkerContainer_midRun_isSurvived_andTheRestartedWorkerTakesOver() throws {
        let folder = Fixtures.temporaryDirectory("compose-kill")
        let yaml = try String(contentsOfFile: Fixtures.path("topologies/quickstart.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "rounds: 60", with: "rounds: 300")
            .replacingOccurrences(of: "timeout_s: 30", with: "timeout_s: 3")
            .replacingOccurrences(of: "dir: runs/quickstart", with: "dir: runs/long")
        try yaml.write(toFile: folder + "/long.yaml", atomically: true, encoding: .utf8)
        let compose = settings(folder: folder, topology: "long.yaml", workers: 2)
        try withSandbox { sandbox in
            let up = try sandbox.compose(project: "fsk", ["up", "-d"], settings: compose)
            try #require(up.status == 0, "docker-compose up failed: \(up.text)")
            let run = folder + "/runs/long"
            CLIHarness.waitForMetricsRows(in: run, moreThan: 20, timeout: 90)
            let victim = try #require(try sandbox.fedsimPID(in: "fsk_worker_1"), "no fedsim process in fsk_worker_1")
            kill(victim, SIGKILL)  // a crash, not a stop: the restart policy applies
            #expect(try sandbox.waitForExit("fsk_coordinator_1", timeout: 180) == 0)
            #expect(try sandbox.docker(["inspect", "-f", "{{.RestartCount}}", "fsk_worker_1"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines) == "1")

            let events = try TopologyFixtures.events(run)
            #expect(events.contains { $0["event"] as? String == "run_complete" })
            let table = try MetricsTable(contentsOf: URL(fileURLWithPath: run + "/metrics.csv"))
            #expect(table.rows.count == 300)
            let dropped = events.filter { $0["event"] as? String == "worker_dropped" }
            try #require(dropped.count == 1)
            // The restarted container joined as a standby and took over the clients, either at the drop
            // (it was already waiting) or at the next round (it joined after the drop).
            let standby = try #require(events.first { $0["event"] as? String == "join" && $0["standby"] as? Bool == true })
            let name = try #require(standby["worker"] as? String)
            let promoted = events.contains { $0["event"] as? String == "worker_promoted" && $0["worker"] as? String == name }
            #expect(dropped[0]["moved_to"] as? String == name || promoted)
            #expect(try #require(table.column("participants")).last == 10)
            let down = try sandbox.compose(project: "fsk", ["down"], settings: compose)
            #expect(down.status == 0)
        }
    }

    @Test func decentralizedTopology_peersGossipBetweenContainers_andReproduceTheHostRun() throws {
        let folder = Fixtures.temporaryDirectory("compose-peers")
        let topology = try CLIHarness.writeRingTopology(directory: folder, outputDirectory: "runs/peers")
        #expect(try CLIHarness.run(["run", topology, "--quiet", "--out", folder + "/host"]).status == 0)
        let compose = settings(folder: folder, topology: "ring.yaml", workers: 3)
        try withSandbox { sandbox in
            let up = try sandbox.compose(project: "fsp", ["up", "--no-color"], settings: compose, timeout: 180)
            #expect(up.status == 0, "docker-compose up failed: \(up.text)")
            let run = folder + "/runs/peers"
            #expect(try TopologyFixtures.deterministicMetrics(run) == TopologyFixtures.deterministicMetrics(folder + "/host"))
            // Each worker advertised its container's address on the compose network (10.213.0.0/16),
            // so the peers gossiped container to container.
            let mesh = try #require(try TopologyFixtures.events(run).first { $0["event"] as? String == "mesh_ready" })
            let endpoints = (mesh["endpoints"] as? String ?? "").split(separator: " ")
            #expect(endpoints.count == 3 && endpoints.allSatisfy { $0.hasPrefix("tcp://10.213.") }, "endpoints: \(endpoints)")
            _ = try sandbox.compose(project: "fsp", ["down"], settings: compose)
        }
    }

    @Test func workerContainerOnOtherBLASKernels_isRefusedWithTheReason() throws {
        let folder = Fixtures.temporaryDirectory("compose-blas")
        let yaml = try String(contentsOfFile: Fixtures.path("topologies/quickstart.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "timeout_s: 30", with: "timeout_s: 30\n  join_timeout_s: 8")
        try yaml.write(toFile: folder + "/quickstart.yaml", atomically: true, encoding: .utf8)
        let compose = settings(folder: folder, topology: "quickstart.yaml", workers: 2)
        try withSandbox { sandbox in
            // One ordinary worker, and one forced onto OpenBLAS's SSE3 kernels, which no x86-64 CPU of
            // today selects by itself.
            let up = try sandbox.compose(project: "fsb", ["up", "-d", "--scale", "worker=1"], settings: compose)
            try #require(up.status == 0, "docker-compose up failed: \(up.text)")
            let odd = try sandbox.compose(project: "fsb", ["run", "-d", "--no-deps", "-e", "OPENBLAS_CORETYPE=Prescott", "worker"],
                                          settings: compose)
            try #require(odd.status == 0, "docker-compose run failed: \(odd.text)")
            #expect(try sandbox.waitForExit("fsb_coordinator_1", timeout: 120) == 1, "the run cannot start with one worker")
            let events = try TopologyFixtures.events(folder + "/runs/quickstart")
            let refusal = try #require(events.first { $0["event"] as? String == "rejected" && $0["code"] as? String == "blas_mismatch" })
            #expect((refusal["reason"] as? String ?? "").contains("'Prescott'"))
            #expect(events.contains { $0["event"] as? String == "run_failed" })
            let container = odd.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let logs = try sandbox.docker(["logs", container])
            #expect(logs.text.contains("refused") && logs.text.contains("Prescott"), "worker log: \(logs.text)")
            _ = try sandbox.compose(project: "fsb", ["down"], settings: compose)
        }
    }
}
