import FedAlgorithms
import FedCore
import FedModels
import FedWorkloads
import FedSecure

extension Topology {
    /// Decodes and checks a parsed topology file, including the algorithm's own keys.
    ///
    /// - Throws: `ConfigError` naming the file, line, key and what was expected.
    public init(node root: ConfigNode, file: String) throws(ConfigError) {
        let top = try ConfigSection(root)
        sourceFile = file
        name = try top.string("name", default: "run")
        seed = try top.uint64("seed", default: 1)

        let algorithmSection = try top.section("algorithm")
        algorithm = AlgorithmSpec(
            name: try algorithmSection.string("name", oneOf: AlgorithmCatalog.entries.map(\.name) + PeerAlgorithmCatalog.entries.map(\.name)
                                                + [SecureXGBSettings.algorithmName]),
            rounds: try algorithmSection.int("rounds", range: 1...1_000_000),
            section: algorithmSection.node)

        let isPartyRun = algorithm.name == SecureXGBSettings.algorithmName
        if isPartyRun {
            mode = .party(try Self.decodePartyRun(algorithm: algorithmSection, workload: try top.section("workload"), trees: algorithm.rounds))
            workload = Self.partyWorkloadStandIn
        } else {
            workload = try WorkloadCatalog.decode(try top.section("workload"))
        }

        let federationSection = try top.section("federation")
        let clients = try federationSection.int("clients", range: 1...10_000_000)
        federation = FederationSpec(
            clients: clients,
            perRound: try federationSection.int("per_round", default: min(10, clients), range: 1...clients),
            timeoutSeconds: try federationSection.double("timeout_s", default: 30, range: 0.05...86_400),
            quorum: try federationSection.double("quorum", default: 0.8, range: 0...1),
            maxRetries: try federationSection.int("max_retries", default: 3, range: 0...1_000),
            maxMessageBytes: try federationSection.int("max_message_mb", default: 256, range: 1...4_096) << 20,
            joinTimeoutSeconds: try federationSection.double("join_timeout_s", default: 60, range: 0.1...86_400))
        if case let .domains(sourceClients, _) = workload.partition, sourceClients >= clients {
            throw federationSection.error("clients", "the domains partition gives \(sourceClients) clients the source domain; "
                                          + "at least one more client is needed for the target domain")
        }
        try federationSection.finish()
        network = try Self.decodeNetwork(try top.optionalSection("network"), nodes: clients, seed: seed)
        let algorithmName = algorithm.name
        let peerAlgorithm = PeerAlgorithmCatalog.entries.contains { $0.name == algorithmName }
        if network.isPeerToPeer { mode = .peer }
        if !isPartyRun && network.isPeerToPeer != peerAlgorithm {
            throw network.isPeerToPeer
                ? algorithmSection.error("name", "a \(network.kind) network needs a decentralized algorithm: "
                                         + PeerAlgorithmCatalog.entries.map(\.name).joined(separator: ", "))
                : algorithmSection.error("name", "\(algorithmName) is decentralized: give the run a peer graph, e.g. network: {kind: ring}")
        }

        let processSection = try top.optionalSection("processes")
        processes = ProcessSpec(
            workers: try processSection?.int("workers", default: 2, range: 1...1_024) ?? 2,
            transport: Transport(rawValue: try processSection?.string(
                "transport", oneOf: Transport.allCases.map(\.rawValue), default: "tcp") ?? "tcp") ?? .tcp)
        try processSection?.finish()
        if isPartyRun {
            try Self.checkPartyRun(federation: federationSection, clients: clients, workers: processes.workers, processes: processSection,
                                   network: network, top: top)
        }

        let faultSection = try top.optionalSection("faults")
        faults = FaultSpec(clientDrop: try faultSection?.double("client_drop", default: 0, range: 0...1) ?? 0)
        try faultSection?.finish()

        let outputSection = try top.optionalSection("output")
        output = OutputSpec(
            directory: try outputSection?.string("dir", default: "runs/\(name)") ?? "runs/\(name)",
            plot: try outputSection?.bool("plot", default: true) ?? true)
        try outputSection?.finish()
        sweep = try Self.decodeSweep(try top.optionalSection("sweep"))
        tuning = try Self.decodeTuning(try top.optionalSection("tuning"))
        if sweep != nil && tuning != nil { throw top.error("tuning", "a file has either a sweep or a tuning study, not both") }
        if isPartyRun && tuning != nil { throw top.error("tuning", "secure_xgb runs have no tuning studies") }
        try top.finish()

        // The algorithm decodes (and checks) its own keys now, so `fedsim validate` catches them; a small
        // stand-in of the model's kind (from the workload catalogue) lets it check the pairing too.
        if !isPartyRun {
            let standIn = WorkloadCatalog.standInModel(workload.model)
            if network.isPeerToPeer { _ = try makePeerAlgorithm(model: standIn) } else { _ = try makeAlgorithm(model: standIn) }
        }
        // Every variant of a sweep must be a valid topology too, so a bad value fails before any run.
        if let sweep {
            for value in sweep.values { _ = try Self.sweepVariant(root: root, file: file, key: sweep.key, value: value) }
        }
        if let tuning { try Self.validateTuning(tuning, root: root, file: file) }
    }

    /// Builds the configured decentralized algorithm for `model` (a peer problem).
    public func makePeerAlgorithm(model: any DifferentiableModel) throws(ConfigError) -> any PeerAlgorithm {
        let section = try ConfigSection(algorithm.section)
        _ = try section.string("name")
        _ = try section.int("rounds")
        let made = try PeerAlgorithmCatalog.make(algorithm.name, section: section, model: model)
        try section.finish()
        return made
    }

    /// Builds the configured algorithm for `model`.
    public func makeAlgorithm(model: any DifferentiableModel) throws(ConfigError) -> any StarAlgorithm {
        let section = try ConfigSection(algorithm.section)
        _ = try section.string("name")
        _ = try section.int("rounds")
        let made = try AlgorithmCatalog.make(algorithm.name, section: section, model: model)
        if let problem = WorkloadCatalog.pairingProblem(model: model, kind: workload.model.kind, algorithm: made) {
            throw section.error("name", problem)
        }
        try section.finish()
        return made
    }
}
