import FedCore
import FedModels

extension WorkloadSpec {
    /// The `workload:` section with every default filled in, as YAML lines that decode back to this spec.
    public func resolvedLines() -> [String] {
        let data = dataset
        var lines = ["workload:", "  model:", "    kind: \(model.kind)"]
        lines += modelLines(model)
        lines += ["  dataset:", "    name: \(data.name)"]
        if let path = data.path { lines.append("    path: \(quoted(path))") }
        if data.name == "quadratic_saddle" {
            lines += ["    dimension: \(data.syntheticDimension)", "    heterogeneity: \(data.syntheticCentreStd)"]
        } else if data.name == "quadratic_bilevel" {
            lines += ["    upper_dimension: \(model.bilevel.upperDimension)",
                      "    lower_dimension: \(model.bilevel.lowerDimension)", "    heterogeneity: \(data.syntheticCentreStd)"]
        } else if data.name == "synthetic_gaussians" {
            lines += ["    train: \(data.syntheticTrain)", "    test: \(data.syntheticTest)", "    dimension: \(data.syntheticDimension)",
                      "    classes: \(data.syntheticClasses)", "    centre_std: \(data.syntheticCentreStd)"]
        } else if data.name == "gaussian_mixture" || data.name == "skill_teacher" {
            lines += ["    train: \(data.syntheticTrain)", "    test: \(data.syntheticTest)"]
            if data.name == "skill_teacher" { lines.append("    hierarchical: \(data.hierarchicalSkills)") }
        } else if WorkloadCatalog.domainDatasets.contains(data.name) {
            lines += ["    test_fraction: \(data.testFraction)", "    target_test_fraction: \(data.targetTestFraction)"]
        } else if WorkloadCatalog.graphDatasets.contains(data.name) {
            lines += graphDataLines(data.graph)
        } else if WorkloadCatalog.interactionDatasets.contains(data.name) {
            lines += interactionDataLines(data.interactions)
            return lines + ["  partition:", "    kind: one_user_per_client"]
        } else {
            lines.append("    test_fraction: \(data.testFraction)")
        }
        lines.append("  partition:")
        if let graphPartition {
            switch graphPartition {
            case .whole: lines.append("    kind: whole")
            case let .dirichlet(beta): lines += ["    kind: dirichlet", "    alpha: \(beta)"]
            case .communities: lines.append("    kind: communities")
            }
            return lines
        }
        switch partition {
        case .iid: lines.append("    kind: iid")
        case .contiguous: lines.append("    kind: contiguous")
        case let .dirichlet(alpha, minimum): lines += ["    kind: dirichlet", "    alpha: \(alpha)", "    min_per_client: \(minimum)"]
        case let .labelSplit(k): lines += ["    kind: label_split", "    classes_per_client: \(k)"]
        case let .domains(sourceClients, k):
            lines += ["    kind: domains", "    source_clients: \(sourceClients)"]
            if let k { lines.append("    source_classes_per_client: \(k)") }
        }
        return lines
    }

    func modelLines(_ model: ModelCatalog.Spec) -> [String] {
        func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
        switch model.kind {
        case "mlp": return ["    hidden: \(list(model.hidden))"]
        case "lora": return ["    hidden: \(model.adapter.hidden)", "    rank: \(model.adapter.rank)"]
        case "mixlora", "remix":
            let a = model.adapter
            return ["    hidden: \(a.hidden)", "    rank: \(a.rank)", "    experts: \(a.experts)", "    top_k: \(a.topK)",
                    model.kind == "mixlora" ? "    auxiliary: \(a.auxiliary)" : "    selections: \(a.selections)",
                    "    personal_router: \(a.personalRouter)"] + (model.kind == "remix" ? ["    inference: \(a.sampledInference ? "sampled" : "top_k")"] : [])
        case "smore":
            let a = model.adapter, s = a.structural
            return ["    hidden: \(a.hidden)", "    experts: \(list(s.experts))", "    fanout: \(list(s.fanout))", "    ranks: \(list(s.ranks))",
                    "    gate: \(s.gate.rawValue)", "    init: \(s.initialisation.rawValue)", "    activation: \(s.activation.rawValue)",
                    "    gate_width: \(s.gateWidth)", "    down_width: \(s.downWidth)", "    auxiliary: \(s.auxiliary)",
                    "    personal_router: \(a.personalRouter)"]
        case "fair_mlp": return ["    hidden: \(list(model.hidden))", "    fairness_reg: \(model.fairnessRegularization)"]
        case "gan":
            return ["    hidden: \(list(model.hidden))", "    discriminator_hidden: \(list(model.discriminatorHidden))",
                    "    latent_dim: \(model.latentDimension)"]
        case "dann":
            return ["    hidden: \(list(model.hidden))", "    discriminator_hidden: \(list(model.discriminatorHidden))",
                    "    adversarial_weight: \(model.adversarialWeight)"]
        case "hyper_representation":
            return ["    hidden: \(list(model.hidden))", "    header_penalty: \(model.bilevel.headerPenalty)",
                    "    validation_fraction: \(model.bilevel.validationFraction)"]
        case "regularization_tuning":
            return ["    validation_fraction: \(model.bilevel.validationFraction)"]
        case "hyper_cleaning":
            return ["    label_noise: \(model.bilevel.labelNoise)", "    regularization: \(model.bilevel.cleaningRegularization)",
                    "    validation_fraction: \(model.bilevel.validationFraction)"]
        case "quadratic_bilevel":
            return ["    noise: \(model.bilevel.oracleNoise)", "    upper_reg: \(model.bilevel.upperRegularization)"]
        case "bpr_mf", "ncf", "lightgcn", "ngcf":
            switch model.recommender {
            case let .lightGCN(dimension, layers, regularization):
                return ["    dimension: \(dimension)", "    layers: \(layers)", "    regularization: \(regularization)"]
            case let .ngcf(dimension, layers, regularization, dropout):
                return ["    dimension: \(dimension)", "    layers: \(layers)", "    regularization: \(regularization)",
                        "    message_dropout: \(dropout)"]
            case let .matrixFactorization(dimension, regularization):
                return ["    dimension: \(dimension)", "    regularization: \(regularization)"]
            case let .neuralCF(variant, factors, tower):
                return ["    variant: \(variant.rawValue)", "    factors: \(factors)", "    tower: \(list(tower))"]
            }
        case "gcn":
            let g = model.graph
            return ["    hidden: \(list(model.hidden))", "    head: \(g.head)", "    biases: \(g.biases)", "    activation: \(g.activation.rawValue)",
                    "    dropout: \(g.dropout)", "    weight_decay: \(g.weightDecay)", "    decay_first_layer_only: \(g.decayFirstLayerOnly)"]
        default: return []
        }
    }

    private func interactionDataLines(_ spec: InteractionDataSpec) -> [String] {
        var lines = [String]()
        if dataset.name == "synthetic_interactions" {
            let s = spec.synthetic
            lines += ["    users: \(s.users)", "    items: \(s.items)", "    communities: \(s.communities)",
                      "    popularity_exponent: \(s.exponent)", "    community_affinity: \(s.communityAffinity)",
                      "    min_per_user: \(s.minimumPerUser)", "    mean_extra: \(s.meanExtra)"]
        } else {
            if let path = spec.path { lines.append("    path: \(quoted(path))") }
            if let minimum = spec.minimumRating { lines.append("    min_rating: \(minimum)") }
            lines.append("    skip_bad_rows: \(spec.skipBadRows)")
        }
        return lines + ["    protocol: \(spec.evaluation.rawValue)"]
    }

    private func graphDataLines(_ graph: GraphDataSpec) -> [String] {
        var lines = [String]()
        if let directory = graph.directory { lines.append("    path: \(quoted(directory))") }
        if dataset.name == "planetoid" { lines.append("    prefix: \(quoted(graph.prefix))") }
        if let nodes = graph.nodesPath, let edges = graph.edgesPath { lines += ["    nodes: \(quoted(nodes))", "    edges: \(quoted(edges))"] }
        lines.append("    split: \(graph.useDatasetSplit ? "dataset" : "random")")
        if !graph.useDatasetSplit {
            lines += ["    train_fraction: \(graph.trainFraction)", "    val_fraction: \(graph.validationFraction)"]
        }
        lines.append("    normalize_features: \(graph.normalizeFeatures)")
        return lines
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
