import FedCore
import FedModels
import FedSecure
import FedWorkloads

/// How a run is organised (DESIGN §10 run modes): a coordinator with clients (`star`), peers over a
/// graph (`peer`), or computing parties of a secret-sharing protocol with the coordinator as dealer
/// (`party`, which carries everything the parties need).
public enum RunMode: Sendable {
    case star
    case peer
    case party(PartyRunSpec)
}

/// A party run: the protocol's settings and the vertically partitioned data.
public struct PartyRunSpec: Sendable, Equatable {
    public var settings: SecureXGBSettings
    public var data: VerticalSpec

    /// Two computing parties, each in its own worker process (each party is its own trust domain).
    public static let parties = 2

    /// The algorithm's keys with every default filled in.
    public var settingsSummary: [(key: String, value: String)] {
        let b = settings.boosting
        return [("depth", "\(b.depth)"), ("learning_rate", "\(b.learningRate)"), ("lambda", "\(b.lambda)"), ("base_score", "\(b.baseScore)"),
                ("loss", b.loss.rawValue), ("buckets", "\(settings.buckets)"), ("randomness", settings.randomness.rawValue),
                ("compare_plaintext", "\(settings.comparePlaintext)")]
    }

    /// `workload:` as YAML lines.
    public func resolvedWorkloadLines() -> [String] {
        var dataset: String
        switch data.source {
        case let .breastCancer(path): dataset = "name: breast_cancer" + (path.map { ", path: \"\($0)\"" } ?? "")
        case let .syntheticRegression(rows, features): dataset = "name: synthetic_regression, rows: \(rows), features: \(features)"
        case let .csv(path): dataset = "name: vertical_csv, path: \"\(path)\""
        }
        dataset += ", test_fraction: \(data.testFraction)"
        return ["workload:", "  dataset: {\(dataset)}",
                "  partition: {kind: vertical, party0: \"\(data.columnText[0])\", party1: \"\(data.columnText[1])\"}"]
    }
}

extension Topology {
    /// The payload of a party run, or nil.
    public var partyRun: PartyRunSpec? {
        if case let .party(spec) = mode { return spec }
        return nil
    }

    /// Decodes the algorithm and workload sections of a `secure_xgb` run.
    static func decodePartyRun(algorithm: ConfigSection, workload: ConfigSection, trees: Int) throws(ConfigError) -> PartyRunSpec {
        let section = try ConfigSection(algorithm.node)
        _ = try section.string("name")
        _ = try section.int("rounds")
        let settings = try SecureXGBSettings.decode(section, trees: trees)
        try section.finish()
        return PartyRunSpec(settings: settings, data: try VerticalSpec.decode(workload))
    }

    /// Party runs have no model workload; this stand-in fills `workload` and is never prepared.
    static let partyWorkloadStandIn = WorkloadSpec(
        model: ModelCatalog.Spec(kind: "logistic", hidden: []),
        dataset: VerticalSpec.datasetStandIn,
        partition: .iid)

    /// The checks a party run adds to the common ones.
    static func checkPartyRun(federation: ConfigSection, clients: Int, workers: Int, processes: ConfigSection?,
                              network: NetworkSpec, top: ConfigSection) throws(ConfigError) {
        guard clients == PartyRunSpec.parties else {
            throw federation.error("clients", "secure_xgb has exactly \(PartyRunSpec.parties) computing parties: set clients: 2")
        }
        guard workers == PartyRunSpec.parties else {
            throw (processes ?? top).error(processes == nil ? "processes" : "workers",
                                           "each secure_xgb party runs in its own worker process: set processes.workers: 2")
        }
        guard !network.isPeerToPeer else { throw top.error("network", "secure_xgb parties use a direct channel, not a peer graph") }
    }
}
