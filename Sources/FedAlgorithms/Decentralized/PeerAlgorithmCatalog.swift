import FedCore
import FedModels

/// Every decentralized (peer-to-peer) algorithm a topology file may name: one line each, as
/// `AlgorithmCatalog` does for star algorithms.
public enum PeerAlgorithmCatalog {
    public typealias Entry = CatalogEntry<any PeerAlgorithm>

    public static let entries: [Entry] = [
        Entry(name: "dbo_local_hypergrad", summary: "G0: DSGD on y and x with each node's local-Hessian hypergradient (gossip baseline)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any PeerAlgorithm in
            try DBOLocalHypergradient(section: section, model: model)
        },
        Entry(name: "dbo_jhip", summary: "Decentralized bilevel with a gossiped Jacobian-inverse-Hessian matrix, GT on x or all (arXiv 2206.05670)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any PeerAlgorithm in
            try DBOJHIP(section: section, model: model)
        },
        Entry(name: "ma_dsbo", summary: "MA-DSBO(-GT): gossiped HVP linear solve, moving-average hypergradient (Chen et al. 2023)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any PeerAlgorithm in
            try MADSBO(section: section, model: model)
        },
    ]

    /// Builds the algorithm `name`, reading its settings from `section`.
    ///
    /// - Throws: `ConfigError` at the section's `name` key for an unknown name, or whatever the
    ///   algorithm's settings reject.
    public static func make(_ name: String, section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any PeerAlgorithm {
        try entries.build(name, section: section, model: model, kind: "decentralized algorithm")
    }
}
