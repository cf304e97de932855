import FedCore
import FedModels

/// Every star algorithm a topology file may name: one line each.
public enum AlgorithmCatalog {
    public typealias Entry = CatalogEntry<any StarAlgorithm>

    public static let entries: [Entry] = [
        Entry(name: "fedavg", summary: "FedAvg: sample-weighted model averaging after local SGD (McMahan et al. 2017)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FedAvg(section: section, layout: model.layout)
        },
        Entry(name: "fedprox", summary: "FedProx: FedAvg with a proximal term mu/2·|w - w_t|² (Li et al. 2020)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FedProx(section: section, layout: model.layout)
        },
        Entry(name: "fedmm", summary: "FedMM: consensus with client-held duals and a growing penalty schedule (Shen et al. 2023)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FedMM(section: section, layout: model.layout)
        },
        Entry(name: "local_sgda", summary: "Local SGDA: K projected descent-ascent steps per client, projected average (Deng & Mahdavi 2021)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try LocalSGDA(section: section, model: model)
        },
        Entry(name: "local_sgda_plus", summary: "Local SGDA+: ascent steps at a snapshot of x refreshed every S rounds (Deng & Mahdavi 2021)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try LocalSGDAPlus(section: section, model: model)
        },
        Entry(name: "fess_gda", summary: "FESS-GDA: Local SGDA on a surrogate smoothed towards a slow server anchor (Shen et al. 2024)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FESSGDA(section: section, model: model)
        },
        Entry(name: "fednest", summary: "FedNest: SVRG inner rounds, federated Neumann hypergradient, SVRG outer step (Tarzanagh et al. 2022)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FedNest(variant: .fedNest, section: section, model: model)
        },
        Entry(name: "lfednest", summary: "LFedNest: local SGD on y, local Neumann hypergradient and x steps, averaged (Tarzanagh et al. 2022)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FedNest(variant: .local, section: section, model: model)
        },
        Entry(name: "fedmbo", summary: "FedMBO: minibatch lower rounds, Neumann rounds on fresh client samples, upper step (Huang et al. 2023)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FedMBO(section: section, model: model)
        },
        Entry(name: "gcn_fedavg", summary: "naive federated GNN: every GCN weight averaged after full-batch local epochs (ASFGNN's baseline)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try GraphFedAvg(variant: .fedavg, section: section, model: model)
        },
        Entry(name: "gcn_local", summary: "local-only graph training: each client keeps its own GCN, nothing but scalars is sent") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try GraphFedAvg(variant: .local, section: section, model: model)
        },
        Entry(name: "asfgnn", summary: "ASFGNN-R: private message passing, federated head, JS-weighted head update (Zheng et al. 2020)") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try ASFGNN(section: section, model: model)
        },
        Entry(name: "fedrec", summary: "federated recommender (FedMF/FCF setup): private user rows, item rows aggregated as sparse deltas") {
            (section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm in
            try FederatedRecommender(section: section, model: model)
        },
    ]

    /// Builds the algorithm named in `section` (key `name`), reading its settings from the same section.
    public static func make(_ name: String, section: ConfigSection, model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm {
        try entries.build(name, section: section, model: model, kind: "algorithm")
    }
}
