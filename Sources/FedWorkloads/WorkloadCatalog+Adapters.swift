import FedCore
import FedModels

extension WorkloadCatalog {
    /// `workload.model` of kind `smore` (spec §4.7, sized for the toy as in §4.10): per level, bottom
    /// first, `experts` s_l, `fanout` f_l and `ranks` r_l; `gate` switch or dense; `init` w_final_zero
    /// or eq_1_layer; `activation` tanh or identity; `gate_width` d_g, `down_width` d_down, `auxiliary`
    /// β, `personal_router`.
    static func decodeStructuralMixture(_ section: ConfigSection) throws(ConfigError) -> ModelCatalog.AdapterOptions {
        var options = ModelCatalog.AdapterOptions()
        var s = StructuralMixtureMLP.Settings()
        options.hidden = try section.int("hidden", default: 64, range: 1...65_536)
        s.experts = try section.intList("experts", default: s.experts, range: 1...64)
        s.fanout = try section.intList("fanout", default: s.fanout, range: 1...64)
        s.ranks = try section.intList("ranks", default: s.ranks, range: 1...1_024)
        guard !s.experts.isEmpty, s.experts.count <= 4 else { throw section.error("experts", "give 1 to 4 levels of experts") }
        guard s.fanout.count == s.experts.count, s.ranks.count == s.experts.count else {
            throw section.error("fanout", "experts, fanout and ranks need one entry per level (\(s.experts.count))")
        }
        for (level, (f, n)) in zip(s.fanout, s.experts).enumerated() where f > n {
            throw section.error("fanout", "level \(level) keeps \(f) of \(n) experts")
        }
        let gate = try section.string("gate", oneOf: StructuralMixtureLayer.Gate.allCases.map(\.rawValue), default: "switch")
        s.gate = StructuralMixtureLayer.Gate(rawValue: gate) ?? .switch
        let initialisation = try section.string("init", oneOf: StructuralMixtureMLP.Initialisation.allCases.map(\.rawValue),
                                                default: "w_final_zero")
        s.initialisation = StructuralMixtureMLP.Initialisation(rawValue: initialisation) ?? .wFinalZero
        let activation = try section.string("activation", oneOf: ["tanh", "identity"], default: "tanh")
        s.activation = ResidualExpertTree.Activation(rawValue: activation) ?? .tanh
        s.gateWidth = try section.int("gate_width", default: s.gateWidth, range: 1...4_096)
        s.downWidth = try section.int("down_width", default: s.downWidth, range: 1...4_096)
        s.auxiliary = try section.double("auxiliary", default: s.auxiliary, range: 0...100)
        options.personalRouter = try section.bool("personal_router", default: false)
        options.structural = s
        return options
    }
}
