import FedCore
import FedModels

/// The workloads a topology may name: data sets, how a `workload:` section decodes, and which
/// models, data sets and partitions go together. The runtime asks this catalogue and knows no
/// workload's details itself.
public enum WorkloadCatalog {
    /// Known data set names.
    public static let datasetNames = ["digits", "breast_cancer", "synthetic_gaussians", "quadratic_saddle", "digits_to_mnist8",
                                       "mnist8_to_textured", "gaussian_mixture", "quadratic_bilevel", "cora", "planetoid", "graph_csv",
                                       "synthetic_interactions", "movielens", "interactions_csv", "skill_teacher"]

    /// Data sets that are one graph whose nodes the clients divide.
    public static let graphDatasets: Set<String> = ["cora", "planetoid", "graph_csv"]

    /// Data sets of user–item interactions (one user per client).
    public static let interactionDatasets: Set<String> = ["synthetic_interactions", "movielens", "interactions_csv"]

    /// Data sets whose training part mixes a labelled source domain with an unlabelled target domain.
    public static let domainDatasets: Set<String> = ["digits_to_mnist8", "mnist8_to_textured"]

    /// Decodes `workload:` (model, data set, partition) and checks that the three fit together.
    public static func decode(_ workloadSection: ConfigSection) throws(ConfigError) -> WorkloadSpec {
        let modelSection = try workloadSection.section("model")
        var model = try decodeModel(modelSection)

        let datasetSection = try workloadSection.section("dataset")
        let datasetName = try datasetSection.string("name", oneOf: datasetNames)
        // Only the keys that mean something for this data set are read; any other is an unknown key.
        var dataset = DatasetSpec(name: datasetName, path: nil, testFraction: 0.2, syntheticTrain: 60_000, syntheticTest: 10_000,
                                  syntheticDimension: 784, syntheticClasses: 10, syntheticCentreStd: 0.1)
        if datasetName == "quadratic_saddle" {
            dataset.syntheticDimension = try datasetSection.int("dimension", default: 5, range: 1...100)
            dataset.syntheticCentreStd = try datasetSection.double("heterogeneity", default: 1, range: 0...100)
        } else if datasetName == "quadratic_bilevel" {
            model.bilevel.upperDimension = try datasetSection.int("upper_dimension", default: 5, range: 1...1_000)
            model.bilevel.lowerDimension = try datasetSection.int("lower_dimension", default: 5, range: 1...1_000)
            dataset.syntheticDimension = QuadraticBilevel.rowWidth(upper: model.bilevel.upperDimension, lower: model.bilevel.lowerDimension)
            dataset.syntheticCentreStd = try datasetSection.double("heterogeneity", default: 1, range: 0...100)
        } else if datasetName == "synthetic_gaussians" {
            dataset.syntheticTrain = try datasetSection.int("train", default: 60_000, range: 10...10_000_000)
            dataset.syntheticTest = try datasetSection.int("test", default: 10_000, range: 10...10_000_000)
            dataset.syntheticDimension = try datasetSection.int("dimension", default: 784, range: 1...100_000)
            dataset.syntheticClasses = try datasetSection.int("classes", default: 10, range: 2...10_000)
            dataset.syntheticCentreStd = try datasetSection.double("centre_std", default: 0.1, range: 0...1_000)
        } else if datasetName == "skill_teacher" {
            // Rows come task by task (16 tasks): the contiguous partition gives each client whole tasks.
            dataset.syntheticTrain = try datasetSection.int("train", default: 50_000, range: 16...10_000_000)
            dataset.syntheticTest = try datasetSection.int("test", default: 10_000, range: 16...10_000_000)
            dataset.syntheticDimension = 32
            dataset.syntheticClasses = 10
            dataset.hierarchicalSkills = try datasetSection.bool("hierarchical", default: false)
        } else if datasetName == "gaussian_mixture" {
            // Train and test rows come from independent streams; at least one row per mode.
            dataset.syntheticTrain = try datasetSection.int("train", default: 4_000, range: 8...1_000_000)
            dataset.syntheticTest = try datasetSection.int("test", default: 2_000, range: 8...1_000_000)
        } else if graphDatasets.contains(datasetName) {
            dataset.graph = try decodeGraphData(datasetSection, name: datasetName)
        } else if interactionDatasets.contains(datasetName) {
            dataset.interactions = try decodeInteractionData(datasetSection, name: datasetName)
        } else if domainDatasets.contains(datasetName) {
            dataset.testFraction = try datasetSection.double("test_fraction", default: 0.2, range: 0.01...0.9)
            dataset.targetTestFraction = try datasetSection.double("target_test_fraction", default: 0.3, range: 0.01...0.9)
        } else {
            dataset.path = try datasetSection.optionalString("path")
            dataset.testFraction = try datasetSection.double("test_fraction", default: 0.2, range: 0.01...0.9)
        }
        try datasetSection.finish()

        let isGraph = graphDatasets.contains(datasetName)
        let isInteractions = interactionDatasets.contains(datasetName)
        // Interaction data sets have one partition only, so they may leave it out.
        let partitionSection = isInteractions ? try workloadSection.optionalSection("partition") : try workloadSection.section("partition")
        func partitionError(_ reason: String) -> ConfigError {
            partitionSection?.error("kind", reason) ?? workloadSection.error("partition", reason)
        }
        let partition = try isGraph || isInteractions ? Partition.iid : decodePartition(try required(partitionSection))
        let graphPartition = isGraph ? try decodeGraphPartition(try required(partitionSection)) : nil
        if isInteractions {
            // One user per virtual client (spec §5.2): the topology's client count is the user count.
            _ = try partitionSection?.string("kind", oneOf: ["one_user_per_client"], default: "one_user_per_client")
        }
        try partitionSection?.finish()

        let kind = model.kind
        if ModelCatalog.graphKinds.contains(kind) != isGraph {
            throw modelSection.error("kind", "graph data sets (\(graphDatasets.sorted().joined(separator: ", "))) go with the gcn model, "
                                     + "and gcn needs a graph data set")
        }
        if ModelCatalog.recommenderKinds.contains(kind) != isInteractions {
            throw modelSection.error("kind", "interaction data sets (\(interactionDatasets.sorted().joined(separator: ", "))) go with the "
                                     + "recommender models (\(ModelCatalog.recommenderKinds.sorted().joined(separator: ", "))), and they need one")
        }
        if (kind == "quadratic_saddle") != (datasetName == "quadratic_saddle") {
            throw modelSection.error("kind", "the quadratic_saddle model and data set go together (one game per client)")
        }
        if kind == "quadratic_saddle" && partition != .iid {
            throw partitionError("quadratic_saddle gives each client its own game: use kind: iid")
        }
        if (kind == "quadratic_bilevel") != (datasetName == "quadratic_bilevel") {
            throw modelSection.error("kind", "the quadratic_bilevel model and data set go together (one problem per client)")
        }
        if kind == "quadratic_bilevel" && partition != .iid {
            throw partitionError("quadratic_bilevel gives each client its own problem: use kind: iid")
        }
        if (kind == "gan") != (datasetName == "gaussian_mixture") {
            throw modelSection.error("kind", "the gan model and the gaussian_mixture data set go together (2-D points, modes as labels)")
        }
        if ModelCatalog.bilevelDataKinds.contains(kind), !["digits", "breast_cancer"].contains(datasetName) {
            throw datasetSection.error("name", "\(kind) trains and validates on a labelled data set: digits or breast_cancer")
        }
        if kind == "regularization_tuning" && datasetName != "breast_cancer" {
            throw datasetSection.error("name", "regularization_tuning is a binary logistic regression: use breast_cancer")
        }
        let domainData = domainDatasets.contains(datasetName)
        if (kind == "dann") != domainData {
            throw modelSection.error("kind", "the dann model needs a two-domain data set (\(domainDatasets.sorted().joined(separator: ", "))) and such a data set "
                                     + "needs dann (adversarial_weight: 0 trains on the source domain alone)")
        }
        if case .domains = partition, !domainData {
            throw partitionError("partition kind domains needs a two-domain data set (\(domainDatasets.sorted().joined(separator: ", ")))")
        } else if domainData, !partition.isDomainAware {
            throw partitionError("\(datasetName) has unlabelled target rows: use kind: domains")
        }
        try workloadSection.finish()
        return WorkloadSpec(model: model, dataset: dataset, partition: partition, graphPartition: graphPartition)
    }

    /// The section a non-optional lookup returned (only interaction data sets may leave `partition` out).
    private static func required(_ section: ConfigSection?) throws(ConfigError) -> ConfigSection {
        guard let section else { preconditionFailure("partition is required for this data set and was looked up with section(_:)") }
        return section
    }

    private static func decodeGraphData(_ section: ConfigSection, name: String) throws(ConfigError) -> GraphDataSpec {
        var graph = GraphDataSpec()
        switch name {
        case "graph_csv":
            graph.nodesPath = try section.string("nodes")
            graph.edgesPath = try section.string("edges")
        case "planetoid":
            graph.directory = try section.string("path")
            graph.prefix = try section.string("prefix")
        default:
            graph.directory = try section.optionalString("path")
        }
        let split = try section.string("split", oneOf: ["dataset", "random"], default: "random")
        graph.useDatasetSplit = split == "dataset"
        if !graph.useDatasetSplit {
            graph.trainFraction = try section.double("train_fraction", default: 0.2, range: 0.01...0.98)
            graph.validationFraction = try section.double("val_fraction", default: 0.2, range: 0...0.98)
            if graph.trainFraction + graph.validationFraction >= 1 {
                throw section.error("val_fraction", "train_fraction + val_fraction must leave test nodes (sum < 1)")
            }
        }
        graph.normalizeFeatures = try section.bool("normalize_features", default: true)
        return graph
    }

    private static func decodeGraphPartition(_ section: ConfigSection) throws(ConfigError) -> GraphPartition {
        switch try section.string("kind", oneOf: ["whole", "dirichlet", "communities"]) {
        case "dirichlet": return .dirichlet(beta: try section.double("alpha", range: 1e-4...1e6))
        case "communities": return .communities
        default: return .whole
        }
    }

    private static func decodeModel(_ section: ConfigSection) throws(ConfigError) -> ModelCatalog.Spec {
        let kind = try section.string("kind", oneOf: ModelCatalog.kinds.map(\.name))
        var spec = ModelCatalog.Spec(kind: kind, hidden: [])
        switch kind {
        case "mlp":
            spec.hidden = try section.intList("hidden", default: [64], range: 1...65_536)
        case "fair_mlp":
            spec.hidden = try section.intList("hidden", default: [64], range: 1...65_536)
            spec.fairnessRegularization = try section.double("fairness_reg", default: 0.1, range: 0...1_000)
        case "gan":
            spec.hidden = try section.intList("hidden", default: [64, 64], range: 1...65_536)
            spec.discriminatorHidden = try section.intList("discriminator_hidden", default: [64, 64], range: 1...65_536)
            spec.latentDimension = try section.int("latent_dim", default: 2, range: 1...1_024)
        case "hyper_representation":
            spec.hidden = try section.intList("hidden", default: [32], range: 1...65_536)
            if spec.hidden.count != 1 { throw section.error("hidden", "hyper_representation has exactly one hidden layer, e.g. [32]") }
            spec.bilevel.headerPenalty = try section.double("header_penalty", default: 0.05, range: 0...1_000)
            spec.bilevel.validationFraction = try section.double("validation_fraction", default: 0.2, range: 0.01...0.9)
        case "regularization_tuning":
            spec.bilevel.validationFraction = try section.double("validation_fraction", default: 0.3, range: 0.01...0.9)
        case "hyper_cleaning":
            spec.bilevel.labelNoise = try section.double("label_noise", default: 0.3, range: 0...0.95)
            spec.bilevel.cleaningRegularization = try section.double("regularization", default: 0.001, range: 0...1_000)
            spec.bilevel.validationFraction = try section.double("validation_fraction", default: 0.2, range: 0.01...0.9)
        case "quadratic_bilevel":
            spec.bilevel.oracleNoise = try section.double("noise", default: 0, range: 0...1_000)
            spec.bilevel.upperRegularization = try section.double("upper_reg", default: 0.1, range: 0...1_000)
        case "gcn":
            spec.hidden = try section.intList("hidden", default: [64, 32], range: 1...65_536)
            if spec.hidden.isEmpty { throw section.error("hidden", "gcn needs at least one convolution width") }
            spec.graph.head = try section.bool("head", default: true)
            spec.graph.biases = try section.bool("biases", default: spec.graph.head)
            let activation = try section.string("activation", oneOf: GraphActivation.allCases.map(\.rawValue), default: "relu")
            spec.graph.activation = GraphActivation(rawValue: activation) ?? .relu
            spec.graph.dropout = try section.double("dropout", default: 0.5, range: 0...0.95)
            spec.graph.weightDecay = try section.double("weight_decay", default: 5e-4, range: 0...10)
            spec.graph.decayFirstLayerOnly = try section.bool("decay_first_layer_only", default: !spec.graph.head)
        case "lora", "mixlora", "remix":
            spec.adapter.hidden = try section.int("hidden", default: 64, range: 1...65_536)
            spec.adapter.rank = try section.int("rank", default: kind == "lora" ? 8 : 4, range: 1...4_096)
            if kind != "lora" {
                spec.adapter.experts = try section.int("experts", default: 8, range: 1...256)
                spec.adapter.topK = try section.int("top_k", default: 2, range: 1...256)
                if spec.adapter.topK > spec.adapter.experts { throw section.error("top_k", "top_k must not exceed experts (\(spec.adapter.experts))") }
            }
            if kind == "mixlora" { spec.adapter.auxiliary = try section.double("auxiliary", default: 0.01, range: 0...100) }
            if kind == "remix" {
                spec.adapter.selections = try section.int("selections", default: 4, range: 2...1_024)
                spec.adapter.sampledInference = try section.string("inference", oneOf: ["top_k", "sampled"], default: "top_k") == "sampled"
            }
            if kind != "lora" { spec.adapter.personalRouter = try section.bool("personal_router", default: false) }
        case "smore":
            spec.adapter = try decodeStructuralMixture(section)        case "bpr_mf":
            spec.recommender = .matrixFactorization(dimension: try section.int("dimension", default: 64, range: 1...4_096),
                                                    regularization: Float(try section.double("regularization", default: 1e-4, range: 0...100)))
        case "lightgcn":
            spec.recommender = .lightGCN(dimension: try section.int("dimension", default: 64, range: 1...4_096),
                                         layers: try section.int("layers", default: 3, range: 0...8),
                                         regularization: Float(try section.double("regularization", default: 1e-4, range: 0...100)))
        case "ngcf":
            spec.recommender = .ngcf(dimension: try section.int("dimension", default: 64, range: 1...4_096),
                                     layers: try section.int("layers", default: 3, range: 0...8),
                                     regularization: Float(try section.double("regularization", default: 1e-5, range: 0...100)),
                                     messageDropout: Float(try section.double("message_dropout", default: 0.1, range: 0...0.95)))
        case "ncf":
            let variant = try section.string("variant", oneOf: NeuralCollaborativeFiltering.Variant.allCases.map(\.rawValue), default: "neumf")
            let tower = try section.intList("tower", default: [64, 32, 16, 8], range: 1...65_536)
            if tower.count < 2 || tower[0] % 2 != 0 {
                throw section.error("tower", "the tower lists the even embedding input width, then each layer's width, e.g. [64, 32, 16, 8]")
            }
            spec.recommender = .neuralCF(variant: NeuralCollaborativeFiltering.Variant(rawValue: variant) ?? .neumf,
                                         factors: try section.int("factors", default: 8, range: 1...4_096), tower: tower)
        case "dann":
            spec.hidden = try section.intList("hidden", default: [64, 64], range: 1...65_536)
            if spec.hidden.isEmpty { throw section.error("hidden", "dann needs at least one feature layer") }
            spec.discriminatorHidden = try section.intList("discriminator_hidden", default: [32], range: 1...65_536)
            spec.adversarialWeight = try section.double("adversarial_weight", default: 1, range: 0...100)
        default:
            let hidden = try section.intList("hidden", default: [], range: 1...65_536)
            if !hidden.isEmpty { throw section.error("hidden", "\(kind) has no hidden layers; use kind: mlp") }
        }
        try section.finish()
        return spec
    }

    private static func decodePartition(_ section: ConfigSection) throws(ConfigError) -> Partition {
        switch try section.string("kind", oneOf: ["iid", "dirichlet", "label_split", "domains", "contiguous"]) {
        case "contiguous":
            return .contiguous
        case "dirichlet":
            return .dirichlet(
                alpha: try section.double("alpha", range: 1e-4...1e6),
                minimumPerClient: try section.int("min_per_client", default: 2, range: 1...1_000_000))
        case "label_split":
            return .labelSplit(classesPerClient: try section.int("classes_per_client", range: 1...10_000))
        case "domains":
            return .domains(
                sourceClients: try section.int("source_clients", range: 1...10_000_000),
                sourceClassesPerClient: section.has("source_classes_per_client")
                    ? try section.int("source_classes_per_client", range: 1...10_000) : nil)
        default:
            return .iid
        }
    }
}

extension Partition {
    /// Whether the partition places unlabelled (target-domain) rows.
    var isDomainAware: Bool {
        if case .domains = self { return true }
        return false
    }
}
