import FedCore
import FedReport
import FedRuntime
import FedTestSupport
import Foundation
import Testing

/// The graph workload's claims (spec §1.8 and §5.6), measured through real coordinators and workers.
@Suite(.serialized) struct GraphClaimTests {
    init() { Matmul.setThreadCount(1) }

    func finalAccuracy(_ topology: Topology, _ name: String) throws -> Double {
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory(name))
        return try ThreadedRun.run(topology: topology, runDirectory: directory).finalAccuracy
    }

    /// §5.6 through the runtime: the shipped centralised topology (one client, the whole graph, the
    /// standard split) reaches Kipf & Welling's accuracy (81.5 % reported; 10 seeds in GCNCoraTests).
    @Test func centralisedTopology_reproducesTheGCNPaper() throws {
        let topology = try RunHost.loadTopology(path: Fixtures.path("topologies/gcn-cora-central.yaml"))
        let accuracy = try finalAccuracy(topology, "graph-central")
        #expect(accuracy >= 0.80, "\(accuracy)")
    }

    /// Claim 4: under label skew ASFGNN-R beats the naive federated GNN on node-weighted test accuracy.
    @Test(arguments: [0.1, 0.5])
    func underLabelSkew_asfgnnBeatsNaiveFedAvg(beta: Double) throws {
        for seed: UInt64 in [1, 2] {
            let separated = try finalAccuracy(TopologyFixtures.cora(rounds: 60, beta: beta, seed: seed, hidden: "[64, 32]"), "claim-asfgnn")
            let naive = try finalAccuracy(TopologyFixtures.cora(algorithm: "gcn_fedavg", rounds: 60, beta: beta, seed: seed, hidden: "[64, 32]"),
                                          "claim-fedavg")
            #expect(separated > naive + 0.05, "beta \(beta) seed \(seed): asfgnn \(separated), gcn_fedavg \(naive)")
        }
    }

    /// Claim 3, as measured: near IID the gap closes to a few points (the spec expects ~1–2; we measure
    /// about 3 in FedAvg-GCN's favour at 100 rounds, see README), against tens of points at beta 0.1.
    @Test func nearIID_theMethodsAgreeWithinAFewPoints() throws {
        let separated = try finalAccuracy(TopologyFixtures.cora(rounds: 60, beta: 10, hidden: "[64, 32]"), "claim-iid-asfgnn")
        let naive = try finalAccuracy(TopologyFixtures.cora(algorithm: "gcn_fedavg", rounds: 60, beta: 10, hidden: "[64, 32]"), "claim-iid-fedavg")
        #expect(abs(separated - naive) < 0.05, "asfgnn \(separated), gcn_fedavg \(naive)")
    }
}
