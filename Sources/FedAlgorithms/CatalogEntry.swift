import FedCore
import FedModels

/// One algorithm a topology file may name: its name, a one-line summary, and how to build it from the
/// `algorithm:` section. Shared by the star and the decentralized catalogues.
public struct CatalogEntry<Product>: Sendable {
    public let name: String
    public let summary: String
    let make: @Sendable (ConfigSection, any DifferentiableModel) throws(ConfigError) -> Product

    init(name: String, summary: String,
         make: @escaping @Sendable (ConfigSection, any DifferentiableModel) throws(ConfigError) -> Product) {
        self.name = name
        self.summary = summary
        self.make = make
    }
}

extension Array {
    /// Builds the entry called `name`, reading its settings from `section`.
    ///
    /// - Throws: `ConfigError` at the section's `name` key for an unknown name (listing the known
    ///   ones as `kind`s), or whatever the algorithm's settings reject.
    func build<Product>(_ name: String, section: ConfigSection, model: any DifferentiableModel,
                        kind: String) throws(ConfigError) -> Product where Element == CatalogEntry<Product> {
        guard let entry = first(where: { $0.name == name }) else {
            throw section.error("name", "unknown \(kind) '\(name)'; known: \(map(\.name).joined(separator: ", "))")
        }
        return try entry.make(section, model)
    }
}
