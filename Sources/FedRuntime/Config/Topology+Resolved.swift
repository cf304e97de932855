import FedAlgorithms
import FedCore
import FedModels
import FedWorkloads

extension Topology {
    /// The topology with every default filled in, as YAML that decodes back to the same topology.
    ///
    /// Written to the run directory and sent to workers, so every process and every later reader
    /// sees exactly the settings the run used.
    public func resolvedYAML(algorithm built: any StarAlgorithm) -> String {
        resolvedYAML(settings: built.settingsSummary)
    }

    /// The same for a decentralized run's algorithm.
    public func resolvedYAML(peerAlgorithm built: any PeerAlgorithm) -> String {
        resolvedYAML(settings: built.settingsSummary)
    }

    /// The resolved YAML with the algorithm's own settings given as (key, value) pairs.
    func resolvedYAML(settings: [(key: String, value: String)]) -> String {
        var lines = ["# resolved topology (every default filled in)", "name: \(quoted(name))", "seed: \(seed)", "algorithm:"]
        lines.append("  name: \(algorithm.name)")
        lines.append("  rounds: \(algorithm.rounds)")
        for (key, value) in settings { lines.append("  \(key): \(value)") }
        let data = workload.dataset
        lines += ["workload:", "  model:", "    kind: \(workload.model.kind)"]
        lines += modelLines(workload.model)
        lines += ["  dataset:", "    name: \(data.name)"]
        if let path = data.path { lines.append("    path: \(quoted(path))") }
        if data.name == "quadratic_saddle" {
            lines += ["    dimension: \(data.syntheticDimension)", "    heterogeneity: \(data.syntheticCentreStd)"]
        } else if data.name == "quadratic_bilevel" {
            lines += ["    upper_dimension: \(workload.model.bilevel.upperDimension)",
                      "    lower_dimension: \(workload.model.bilevel.lowerDimension)", "    heterogeneity: \(data.syntheticCentreStd)"]
        } else if data.name == "synthetic_gaussians" {
            lines += ["    train: \(data.syntheticTrain)", "    test: \(data.syntheticTest)", "    dimension: \(data.syntheticDimension)",
                      "    classes: \(data.syntheticClasses)", "    centre_std: \(data.syntheticCentreStd)"]
        } else if data.name == "gaussian_mixture" {
            lines += ["    train: \(data.syntheticTrain)", "    test: \(data.syntheticTest)"]
        } else if WorkloadCatalog.domainDatasets.contains(data.name) {
            lines += ["    test_fraction: \(data.testFraction)", "    target_test_fraction: \(data.targetTestFraction)"]
        } else {
            lines.append("    test_fraction: \(data.testFraction)")
        }
        lines.append("  partition:")
        switch workload.partition {
        case .iid: lines.append("    kind: iid")
        case let .dirichlet(alpha, minimum): lines += ["    kind: dirichlet", "    alpha: \(alpha)", "    min_per_client: \(minimum)"]
        case let .labelSplit(k): lines += ["    kind: label_split", "    classes_per_client: \(k)"]
        case let .domains(sourceClients, k):
            lines += ["    kind: domains", "    source_clients: \(sourceClients)"]
            if let k { lines.append("    source_classes_per_client: \(k)") }
        }
        let f = federation
        lines += ["federation:", "  clients: \(f.clients)", "  per_round: \(f.perRound)", "  timeout_s: \(f.timeoutSeconds)",
                  "  quorum: \(f.quorum)", "  max_retries: \(f.maxRetries)", "  max_message_mb: \(f.maxMessageBytes >> 20)",
                  "  join_timeout_s: \(f.joinTimeoutSeconds)"]
        if network.isPeerToPeer {
            lines += ["network:", "  kind: \(network.kind)"] + network.settings.map { "  \($0.key): \($0.value)" }
        }
        lines += ["processes:", "  workers: \(processes.workers)", "  transport: \(processes.transport.rawValue)"]
        lines += ["faults:", "  client_drop: \(faults.clientDrop)"]
        lines += ["output:", "  dir: \(quoted(output.directory))", "  plot: \(output.plot)"]
        return lines.joined(separator: "\n") + "\n"
    }

    private func modelLines(_ model: ModelCatalog.Spec) -> [String] {
        func list(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }
        switch model.kind {
        case "mlp": return ["    hidden: \(list(model.hidden))"]
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
        default: return []
        }
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
