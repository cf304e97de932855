import FedTestSupport
import Foundation
import Testing

/// Network namespaces as separate hosts: the coordinator and each worker in its own network stack,
/// joined by veth pairs on a bridge (scripts/netns-hosts.sh). Needs root and iproute2.
enum NetworkNamespaces {
    static let script = Fixtures.path("scripts/netns-hosts.sh")

    /// Whether namespaces can be made here (root, iproute2, and the kernel allows it).
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
                || FileManager.default.isExecutableFile(atPath: "/sbin/ip") else { return false }
        let probe = "fsp\(getpid() % 10000)-"
        defer { _ = try? shell(["bash", script, "down", probe]) }
        return (try? shell(["bash", script, "up", probe, "1"])) == 0
    }()

    @discardableResult
    static func shell(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite(.serialized, .enabled(if: NetworkNamespaces.available, "needs root and iproute2 network namespaces"))
struct MultiHostTests {
    /// Runs `topology` with the coordinator in namespace `srv` and one worker in each of `c1` and `c2`;
    /// returns the coordinator's exit status.
    func runOnSeparateHosts(_ topology: String, out: String) throws -> Int32 {
        let prefix = "fs\(String(UInt32.random(in: 0x1000...0xFFFF), radix: 16))-"
        try #require(try NetworkNamespaces.shell(["bash", NetworkNamespaces.script, "up", prefix, "2"]) == 0)
        var processes = [Process]()
        defer {
            for process in processes where process.isRunning { process.terminate() }
            _ = try? NetworkNamespaces.shell(["bash", NetworkNamespaces.script, "down", prefix])
        }
        func inNamespace(_ host: String, _ arguments: [String]) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ip", "netns", "exec", prefix + host, CLIHarness.executable] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
            return process
        }
        // Every address below lives inside the namespaces; nothing is sent from the root namespace.
        let coordinator = try inNamespace("srv", ["coordinator", "--config", topology, "--bind", "tcp://10.77.0.1:5700",
                                                  "--out", out, "--quiet"])
        let workers = try ["c1", "c2"].map { try inNamespace($0, ["worker", "--connect", "tcp://10.77.0.1:5700", "--name", $0]) }
        let deadline = Date().addingTimeInterval(120)
        while coordinator.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!coordinator.isRunning, "the coordinator did not finish in time")
        coordinator.waitUntilExit()
        for worker in workers { worker.waitUntilExit() }
        return coordinator.terminationStatus
    }

    @Test func coordinatorAndWorkersOnSeparateNetworkStacks_reproduceTheLocalRun() throws {
        let directory = Fixtures.temporaryDirectory("netns")
        let topology = try CLIHarness.writeTinyTopology(rounds: 3, directory: directory)
        #expect(try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/local"]).status == 0)
        #expect(try runOnSeparateHosts(topology, out: directory + "/hosts") == 0)
        let joins = try TopologyFixtures.events(directory + "/hosts").filter { $0["event"] as? String == "join" }
        #expect(joins.count == 2)
        #expect(try TopologyFixtures.deterministicMetrics(directory + "/hosts") == TopologyFixtures.deterministicMetrics(directory + "/local"))
    }

    @Test func peersOnSeparateNetworkStacks_gossipDirectly_andReproduceTheLocalRun() throws {
        let directory = Fixtures.temporaryDirectory("netns-peers")
        let topology = try CLIHarness.writeRingTopology(directory: directory)
        #expect(try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/local"]).status == 0)
        #expect(try runOnSeparateHosts(topology, out: directory + "/hosts") == 0)
        // Each worker advertised its own namespace's address, and the peers' results match the local run.
        let mesh = try #require(try TopologyFixtures.events(directory + "/hosts").first { $0["event"] as? String == "mesh_ready" })
        let endpoints = (mesh["endpoints"] as? String ?? "").split(separator: " ")
        #expect(endpoints.count == 2 && endpoints.allSatisfy { $0.hasPrefix("tcp://10.77.0.") && !$0.hasPrefix("tcp://10.77.0.1:") })
        #expect(try TopologyFixtures.deterministicMetrics(directory + "/hosts") == TopologyFixtures.deterministicMetrics(directory + "/local"))
    }

    @Test func partiesOnSeparateNetworkStacks_talkDirectly_andReproduceTheLocalRun() throws {
        let directory = Fixtures.temporaryDirectory("netns-parties")
        let topology = try CLIHarness.writePartyTopology(directory: directory)
        #expect(try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/local"]).status == 0)
        #expect(try runOnSeparateHosts(topology, out: directory + "/hosts") == 0)
        // Each party advertised its own namespace's address for the direct channel; the dealer got no share.
        let connected = try #require(try TopologyFixtures.events(directory + "/hosts").first { $0["event"] as? String == "parties_connected" })
        let endpoints = (connected["endpoints"] as? String ?? "").split(separator: " ")
        #expect(endpoints.count == 2 && endpoints.allSatisfy { $0.hasPrefix("tcp://10.77.0.") && !$0.hasPrefix("tcp://10.77.0.1:") })
        let local = try CLIHarness.partyMetrics(directory + "/local"), hosts = try CLIHarness.partyMetrics(directory + "/hosts")
        #expect(local.count == 3 && local == hosts)
    }
}
