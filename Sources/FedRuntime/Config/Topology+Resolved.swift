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
        lines += partyRun.map { $0.resolvedWorkloadLines() } ?? workload.resolvedLines()
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

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
