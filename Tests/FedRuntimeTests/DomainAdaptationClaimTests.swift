import FedCore
import FedReport
import FedRuntime
import FedTestSupport
import Foundation
import Testing

/// FedMM against FedAvg-GDA on federated adversarial domain adaptation (DANN), label-imbalanced
/// layout, through the real coordinator and workers (spec: optimization.md §1.9 claim 3).
///
/// Measured over seeds 1, 2 and 3 (600 rounds, K = 20, η = 0.05, μ = 2): FedMM's final target
/// accuracy 0.619 / 0.679 / 0.635, FedAvg-GDA's 0.514 / 0.551 / 0.586, margins of 10.5, 12.8 and
/// 4.9 points (mean 9.4). The assertions leave room below those numbers.
@Suite(.serialized) struct DomainAdaptationClaimTests {
    struct Outcome {
        var targetAccuracy: Double
        var bytesUp: [Double]
        var bytesDown: [Double]
    }

    func run(_ algorithm: String, seed: Int, keys: String = "") throws -> Outcome {
        let topology = try TopologyFixtures.parse("""
        name: dann
        seed: \(seed)
        algorithm: {name: \(algorithm), rounds: 600, local_steps: 20, batch_size: 64, lr: 0.05, client_weighting: uniform\(keys)}
        workload:
          model: {kind: dann, hidden: [64, 64], discriminator_hidden: [32], adversarial_weight: 1.0}
          dataset: {name: mnist8_to_textured}
          partition: {kind: domains, source_clients: 2, source_classes_per_client: 5}
        federation: {clients: 4, per_round: 4, quorum: 1.0, join_timeout_s: 20}
        processes: {workers: 2, transport: inproc}
        output: {plot: false}
        """)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("dann-\(algorithm)-\(seed)"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        return Outcome(targetAccuracy: try #require(table.column("target_accuracy")?.last),
                       bytesUp: try #require(table.column("bytes_up")), bytesDown: try #require(table.column("bytes_down")))
    }

    @Test func fedMM_beatsFedAvgGDA_onTargetAccuracy_underLabelImbalance() throws {
        var margins = [Double]()
        for seed in 1...3 {
            let fedmm = try run("fedmm", seed: seed, keys: ", mu: 2.0, dual_growth: 1.05, dual_growth_period: 4")
            let fedavg = try run("fedavg", seed: seed)
            margins.append(fedmm.targetAccuracy - fedavg.targetAccuracy)
            // The duals never travel: both methods move exactly the same bytes every round.
            #expect(fedmm.bytesUp == fedavg.bytesUp && fedmm.bytesDown == fedavg.bytesDown)
        }
        let mean = margins.reduce(0, +) / Double(margins.count)
        #expect(mean > 0.05, "FedMM − FedAvg-GDA target accuracy per seed: \(margins)")
        #expect(margins.allSatisfy { $0 > 0.02 }, "FedMM − FedAvg-GDA target accuracy per seed: \(margins)")
    }
}
