import FedAlgorithms
import FedCore
import FedModels

extension Topology {
    /// Known data set names.
    public static let datasetNames = ["digits", "breast_cancer", "synthetic_gaussians", "quadratic_saddle"]

    /// Decodes and checks a parsed topology file, including the algorithm's own keys.
    ///
    /// - Throws: `ConfigError` naming the file, line, key and what was expected.
    public init(node root: ConfigNode, file: String) throws(ConfigError) {
        let top = try ConfigSection(root)
        sourceFile = file
        name = try top.string("name", default: "run")
        seed = try top.uint64("seed", default: 1)

        let algorithmSection = try top.section("algorithm")
        algorithm = AlgorithmSpec(
            name: try algorithmSection.string("name", oneOf: AlgorithmCatalog.entries.map(\.name)),
            rounds: try algorithmSection.int("rounds", range: 1...1_000_000),
            section: algorithmSection.node)

        let workloadSection = try top.section("workload")
        let modelSection = try workloadSection.section("model")
        let kind = try modelSection.string("kind", oneOf: ModelCatalog.kinds.map(\.name))
        let hidden = try modelSection.intList("hidden", default: kind == "mlp" ? [64] : [], range: 1...65_536)
        if kind != "mlp" && !hidden.isEmpty { throw modelSection.error("hidden", "\(kind) has no hidden layers; use kind: mlp") }
        try modelSection.finish()

        let datasetSection = try workloadSection.section("dataset")
        let datasetName = try datasetSection.string("name", oneOf: Self.datasetNames)
        // Only the keys that mean something for this data set are read; any other is an unknown key.
        var dataset = DatasetSpec(name: datasetName, path: nil, testFraction: 0.2, syntheticTrain: 60_000, syntheticTest: 10_000,
                                  syntheticDimension: 784, syntheticClasses: 10, syntheticCentreStd: 0.1)
        if datasetName == "quadratic_saddle" {
            dataset.syntheticDimension = try datasetSection.int("dimension", default: 5, range: 1...100)
            dataset.syntheticCentreStd = try datasetSection.double("heterogeneity", default: 1, range: 0...100)
        } else if datasetName == "synthetic_gaussians" {
            dataset.syntheticTrain = try datasetSection.int("train", default: 60_000, range: 10...10_000_000)
            dataset.syntheticTest = try datasetSection.int("test", default: 10_000, range: 10...10_000_000)
            dataset.syntheticDimension = try datasetSection.int("dimension", default: 784, range: 1...100_000)
            dataset.syntheticClasses = try datasetSection.int("classes", default: 10, range: 2...10_000)
            dataset.syntheticCentreStd = try datasetSection.double("centre_std", default: 0.1, range: 0...1_000)
        } else {
            dataset.path = try datasetSection.optionalString("path")
            dataset.testFraction = try datasetSection.double("test_fraction", default: 0.2, range: 0.01...0.9)
        }
        try datasetSection.finish()

        let partitionSection = try workloadSection.section("partition")
        let partition: Partition
        switch try partitionSection.string("kind", oneOf: ["iid", "dirichlet", "label_split"]) {
        case "dirichlet":
            partition = .dirichlet(
                alpha: try partitionSection.double("alpha", range: 1e-4...1e6),
                minimumPerClient: try partitionSection.int("min_per_client", default: 2, range: 1...1_000_000))
        case "label_split":
            partition = .labelSplit(classesPerClient: try partitionSection.int("classes_per_client", range: 1...10_000))
        default:
            partition = .iid
        }
        try partitionSection.finish()
        if (kind == "quadratic_saddle") != (datasetName == "quadratic_saddle") {
            throw modelSection.error("kind", "the quadratic_saddle model and data set go together (one game per client)")
        }
        if kind == "quadratic_saddle" && partition != .iid {
            throw partitionSection.error("kind", "quadratic_saddle gives each client its own game: use kind: iid")
        }
        try workloadSection.finish()
        workload = WorkloadSpec(model: ModelCatalog.Spec(kind: kind, hidden: hidden), dataset: dataset, partition: partition)

        let federationSection = try top.section("federation")
        let clients = try federationSection.int("clients", range: 1...10_000_000)
        federation = FederationSpec(
            clients: clients,
            perRound: try federationSection.int("per_round", default: min(10, clients), range: 1...clients),
            timeoutSeconds: try federationSection.double("timeout_s", default: 30, range: 0.05...86_400),
            quorum: try federationSection.double("quorum", default: 0.8, range: 0...1),
            maxRetries: try federationSection.int("max_retries", default: 3, range: 0...1_000),
            maxMessageBytes: try federationSection.int("max_message_mb", default: 256, range: 1...4_096) << 20,
            joinTimeoutSeconds: try federationSection.double("join_timeout_s", default: 60, range: 0.1...86_400))
        try federationSection.finish()

        let processSection = try top.optionalSection("processes")
        processes = ProcessSpec(
            workers: try processSection?.int("workers", default: 2, range: 1...1_024) ?? 2,
            transport: Transport(rawValue: try processSection?.string(
                "transport", oneOf: Transport.allCases.map(\.rawValue), default: "tcp") ?? "tcp") ?? .tcp)
        try processSection?.finish()

        let faultSection = try top.optionalSection("faults")
        faults = FaultSpec(clientDrop: try faultSection?.double("client_drop", default: 0, range: 0...1) ?? 0)
        try faultSection?.finish()

        let outputSection = try top.optionalSection("output")
        output = OutputSpec(
            directory: try outputSection?.string("dir", default: "runs/\(name)") ?? "runs/\(name)",
            plot: try outputSection?.bool("plot", default: true) ?? true)
        try outputSection?.finish()
        try top.finish()

        // The algorithm decodes (and checks) its own keys now, so `fedsim validate` catches them.
        _ = try makeAlgorithm(layout: ParameterLayout([("probe", [1])]))
    }

    /// Builds the configured algorithm for a model with `layout`.
    public func makeAlgorithm(layout: ParameterLayout) throws(ConfigError) -> any StarAlgorithm {
        let section = try ConfigSection(algorithm.section)
        _ = try section.string("name")
        _ = try section.int("rounds")
        let made = try AlgorithmCatalog.make(algorithm.name, section: section, layout: layout)
        try section.finish()
        return made
    }
}
