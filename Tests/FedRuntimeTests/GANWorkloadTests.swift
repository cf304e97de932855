import FedCore
import FedModels
import FedReport
import FedRuntime
import FedTestSupport
import FedWorkloads
import Foundation
import Testing

/// The federated GAN workload (spec: optimization.md §2.7 item 2) as topology files describe it.
@Suite struct GANWorkloadTests {
    static func topology(model: String = "{kind: gan}", dataset: String = "{name: gaussian_mixture}",
                         rounds: Int = 1, extra: String = "") throws -> Topology {
        try TopologyFixtures.parse("""
        name: gan
        seed: 2
        algorithm: {name: fedavg, rounds: \(rounds), local_steps: 10, batch_size: 64, lr: 0.05}
        workload:
          model: \(model)
          dataset: \(dataset)
          partition: {kind: label_split, classes_per_client: 1}
        federation: {clients: 8, per_round: 8, quorum: 1.0, join_timeout_s: 20}
        processes: {workers: 2, transport: inproc}
        \(extra)
        """)
    }

    @Test func shippedTopology_validates_andSplitsOneModePerClient() throws {
        let topology = try RunHost.loadTopology(path: Fixtures.path("topologies/gan-fedavg-modes.yaml"))
        #expect(topology.workload.model.kind == "gan" && topology.workload.dataset.name == "gaussian_mixture")
        let workload = try PreparedWorkload.prepare(try Self.topology())
        #expect(workload.model is GAN2D)
        #expect(workload.split.train.count == 4_000 && workload.split.test.count == 2_000)
        // label_split with one class per client: each client holds exactly one whole mode.
        let modes = workload.shards.map { Set($0.map { workload.split.train.labels[$0] }) }
        #expect(modes.allSatisfy { $0.count == 1 } && Set(modes.map { $0.first! }).count == 8)
        #expect(workload.shards.allSatisfy { $0.count == 500 })
    }

    @Test func topology_pairsGANWithTheMixtureOnly() {
        let cases: [(String, () throws -> Topology)] = [
            ("gan on digits", { try Self.topology(dataset: "{name: digits}") }),
            ("gan on synthetic_gaussians", { try Self.topology(dataset: "{name: synthetic_gaussians, dimension: 2, classes: 8}") }),
            ("mlp on the mixture", { try Self.topology(model: "{kind: mlp}") }),
            ("unknown mixture key", { try Self.topology(dataset: "{name: gaussian_mixture, dimension: 3}") }),
            ("unknown gan key", { try Self.topology(model: "{kind: gan, adversarial_weight: 1}") }),
        ]
        for (label, build) in cases {
            #expect(throws: ConfigError.self, "\(label)") { _ = try build() }
        }
    }

    @Test func resolvedYAML_decodesToTheSameWorkload() throws {
        let original = try Self.topology(model: "{kind: gan, hidden: [32], discriminator_hidden: [16, 8], latent_dim: 3}",
                                         dataset: "{name: gaussian_mixture, train: 800, test: 400}")
        #expect(original.workload.model.latentDimension == 3 && original.workload.model.discriminatorHidden == [16, 8])
        let algorithm = try original.makeAlgorithm(model: try PreparedWorkload.prepare(original).model)
        let yaml = original.resolvedYAML(algorithm: algorithm)
        let again = try TopologyFixtures.parse(yaml)
        #expect(again.workload.model == original.workload.model)
        #expect(again.workload.dataset == original.workload.dataset)
        #expect(again.workload.partition == original.workload.partition)
    }

    @Test func shortRun_writesTheModeMetricsAndTheSamplesPlot() throws {
        let rounds = 20
        let topology = try Self.topology(dataset: "{name: gaussian_mixture, train: 1600, test: 400}", rounds: rounds,
                                         extra: "output: {plot: true}")
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("gan-run"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        let modes = try #require(table.column("modes_covered"))
        let quality = try #require(table.column("high_quality_fraction"))
        #expect(modes.count == rounds && quality.count == rounds)
        #expect(modes.allSatisfy { $0 >= 0 && $0 <= 8 && $0 == $0.rounded() })
        #expect(quality.allSatisfy { $0 >= 0 && $0 <= 1 })
        let svg = try String(contentsOfFile: directory.path(RunDirectory.File.samples), encoding: .utf8)
        // One group per point set: the 400 real test rows, then the generated points.
        let groups = svg.components(separatedBy: "<g class=\"point-set\"").dropFirst()
        let circles = groups.map { $0.components(separatedBy: "</g>")[0].components(separatedBy: "<circle ").count - 1 }
        #expect(circles == [400, RunHost.plottedSampleCount])
        #expect(FileManager.default.fileExists(atPath: directory.path(RunDirectory.File.plot)))
        // The run's own plot shows the headline metric.
        let plot = try String(contentsOfFile: directory.path(RunDirectory.File.plot), encoding: .utf8)
        #expect(plot.contains("modes covered vs round"))
    }

    @Test func runs_areIdenticalWhateverTheWorkerCount() throws {
        // The training noise comes from the batch, not from the process that trains the client.
        var metrics = [[String]]()
        for workers in [1, 3] {
            var topology = try Self.topology(dataset: "{name: gaussian_mixture, train: 800, test: 200}", rounds: 4)
            topology.processes.workers = workers
            let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("gan-workers-\(workers)"))
            _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
            metrics.append(try TopologyFixtures.deterministicMetrics(directory.url.path))
        }
        #expect(metrics[0].count == 5 && metrics[0] == metrics[1])
    }

    @Test func samplesPlot_isOnlyWrittenForGenerativeModels() throws {
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("gan-samples"))
        let mlp = MLP(inputDimension: 2, hidden: [], classCount: 8)
        var rng = RNGStream(seed: 1, purpose: .parameterInit)
        let test = GaussianMixture2D.make(count: 16, seed: 1, part: .test)
        try RunHost.writeSamplesPlot(directory, title: "t", model: mlp, parameters: mlp.initialParameters(rng: &rng), reference: test)
        #expect(!FileManager.default.fileExists(atPath: directory.path(RunDirectory.File.samples)))
        let gan = GAN2D()
        try RunHost.writeSamplesPlot(directory, title: "t", model: gan, parameters: gan.initialParameters(rng: &rng), reference: test)
        #expect(FileManager.default.fileExists(atPath: directory.path(RunDirectory.File.samples)))
    }
}
