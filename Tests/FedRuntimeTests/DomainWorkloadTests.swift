import FedCore
import FedModels
import FedRuntime
import FedTestSupport
import FedWorkloads
import Testing

/// The domain-adaptation workload as a run prepares it, and the topology checks around it.
@Suite struct DomainWorkloadTests {
    static func topology(dataset: String = "mnist8_to_textured", partition: String = "{kind: domains, source_clients: 2}",
                         clients: Int = 4, model: String = "{kind: dann}") throws -> Topology {
        try TopologyFixtures.parse("""
        name: dann
        algorithm: {name: fedmm, rounds: 1}
        workload:
          model: \(model)
          dataset: {name: \(dataset)}
          partition: \(partition)
        federation: {clients: \(clients)}
        """)
    }

    @Test(arguments: ["mnist8_to_textured", "digits_to_mnist8"])
    func workersNeverHoldATargetLabel(dataset: String) throws {
        let workload = try PreparedWorkload.prepare(try Self.topology(dataset: dataset))
        let train = workload.split.train
        #expect(train.domains.count == train.count)
        for row in 0..<train.count { #expect((train.domains[row] == 1) == (train.labels[row] == Dataset.unlabelled)) }
        // Clients 2 and 3 are target clients: every one of their rows is unlabelled.
        for client in 2..<4 { #expect(workload.shards[client].allSatisfy { train.labels[$0] == Dataset.unlabelled }) }
        // The test part keeps true labels for both domains.
        let test = workload.split.test
        #expect(test.labels.allSatisfy { $0 >= 0 } && Set(test.domains) == [0, 1])
    }

    @Test func danEvaluation_splitsAccuracyByDomain_consistentlyWithPlainEvaluation() throws {
        let workload = try PreparedWorkload.prepare(try Self.topology(), role: .coordinator)
        let model = workload.model
        var rng = RNGStream(seed: 5, purpose: .parameterInit)
        let parameters = model.initialParameters(rng: &rng)
        let test = workload.split.test
        let metrics = model.evaluationMetrics(parameters: parameters, on: test, workspace: nil)
        let targetRows = test.subset((0..<test.count).filter { test.domains[$0] == 1 })
        let sourceRows = test.subset((0..<test.count).filter { test.domains[$0] == 0 })
        #expect(try #require(metrics["target_accuracy"]) == model.evaluate(parameters: parameters, on: targetRows).accuracy)
        #expect(try #require(metrics["source_accuracy"]) == model.evaluate(parameters: parameters, on: sourceRows).accuracy)
        let domain = try #require(metrics["domain_accuracy"])
        #expect(domain >= 0 && domain <= 1)
        #expect(model.headlineMetric.name == "target_accuracy")
    }

    @Test func topologyRejectsMismatchedModelDataAndPartition() {
        let cases: [(String, () throws -> Topology)] = [
            ("dann on one-domain data", { try Self.topology(dataset: "digits", partition: "{kind: iid}") }),
            ("mlp on two-domain data", { try Self.topology(model: "{kind: mlp}") }),
            ("iid on two-domain data", { try Self.topology(partition: "{kind: iid}") }),
            ("no target client", { try Self.topology(partition: "{kind: domains, source_clients: 4}") }),
        ]
        for (label, build) in cases {
            #expect(throws: ConfigError.self, "\(label)") { _ = try build() }
        }
    }
}
