import FedCore
import FedModels

/// FedProx (Li et al., "Federated Optimization in Heterogeneous Networks", MLSys 2020).
///
/// As FedAvg, but client k minimises F_k(w) + μ/2·‖w − w_t‖² locally, which limits how far
/// heterogeneous clients drift from the global model. μ = 0 is exactly FedAvg. The server side is
/// FedAvg's, so FedProx wraps a `FedAvg` and changes only the client step.
///
/// Keys: `mu` (0.01) plus the FedAvg keys. The paper's variable local work per device
/// ("γ-inexact solutions") is not modelled: every client runs the configured local epochs.
public struct FedProx: FedAvgServerVariant {
    public let base: FedAvg
    /// μ ≥ 0, the proximal coefficient.
    public let mu: Float

    public init(local: LocalTrainer.Settings, mu: Float, layout: ParameterLayout) {
        base = FedAvg(local: local, layout: layout)
        self.mu = mu
    }

    /// Reads the settings from the topology's `algorithm:` section.
    public init(section: ConfigSection, layout: ParameterLayout) throws(ConfigError) {
        mu = Float(try section.double("mu", default: 0.01, range: 0...1_000))
        base = try FedAvg(section: section, layout: layout)
    }

    public var name: String { "fedprox" }
    public var settingsSummary: [(key: String, value: String)] { [("mu", "\(mu)")] + base.settingsSummary }
    public func train(task: ClientTask, context: inout ClientContext) throws(AlgorithmError) -> ClientUpdate {
        try LocalSGDSettings.runClient(task: task, settings: base.local, mu: mu, context: &context)
    }
}
