import FedTestSupport
import Foundation
import Testing

/// A secure-XGB party run as a user starts it: `fedsim run` with the coordinator and both parties as
/// child processes over tcp, against the same run as threads in one process.
@Suite struct PartyRunCLITests {
    @Test func childProcessesAndThreads_giveIdenticalMetrics_andTheDealerGetsNoShare() throws {
        let directory = Fixtures.temporaryDirectory("party-cli")
        let topology = try CLIHarness.writePartyTopology(directory: directory)
        let processes = try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/processes"])
        #expect(processes.status == 0, "stderr: \(processes.stderr)")
        let threads = try CLIHarness.run(["run", topology, "--quiet", "--out", directory + "/threads", "--set", "processes.transport=inproc"])
        #expect(threads.status == 0, "stderr: \(threads.stderr)")
        let a = try CLIHarness.partyMetrics(directory + "/processes"), b = try CLIHarness.partyMetrics(directory + "/threads")
        #expect(a.count == 3 && a == b)
        let header = a[0].split(separator: ","), last = a[2].split(separator: ",", omittingEmptySubsequences: false)
        let column = { (name: String) in header.firstIndex(of: Substring(name)).map { String(last[$0]) } }
        #expect(column("share_messages_at_dealer") == "0")
        #expect(Double(column("test_rmse") ?? "") ?? .nan < 0.5)
        let events = try TopologyFixtures.events(directory + "/processes")
        let progress = events.filter { $0["event"] as? String == "party_progress" }
        // Per party: setup, then 3 levels and the leaves of each of the 2 trees.
        #expect(progress.count == 18)
    }
}
