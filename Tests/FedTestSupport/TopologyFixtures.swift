import FedReport
import FedRuntime
import Foundation

/// Small topologies for runtime tests, parsed from YAML text exactly as files are.
public enum TopologyFixtures {
    /// A tiny FedAvg run on the bundled digits (fast enough for many test runs).
    public static func tinyDigits(
        clients: Int = 12, perRound: Int = 6, rounds: Int = 4, workers: Int = 2, timeout: Double = 20,
        quorum: Double = 0.8, maxRetries: Int = 3, clientDrop: Double = 0, algorithm: String = "fedavg",
        extraAlgorithmKeys: String = "", seed: UInt64 = 3, maxMessageMB: Int = 16
    ) throws -> Topology {
        try parse("""
        name: tiny
        seed: \(seed)
        algorithm: {name: \(algorithm), rounds: \(rounds), local_epochs: 1, batch_size: 16, lr: 0.1\(extraAlgorithmKeys)}
        workload:
          model: {kind: mlp, hidden: [16]}
          dataset: {name: digits}
          partition: {kind: dirichlet, alpha: 0.5}
        federation: {clients: \(clients), per_round: \(perRound), timeout_s: \(timeout), quorum: \(quorum), max_retries: \(maxRetries), max_message_mb: \(maxMessageMB), join_timeout_s: 20}
        processes: {workers: \(workers), transport: inproc}
        faults: {client_drop: \(clientDrop)}
        output: {dir: runs/tiny, plot: false}
        """)
    }

    /// A graph run on the bundled Cora: `clients` clients with Dirichlet(`beta`) label skew.
    public static func cora(
        algorithm: String = "asfgnn", rounds: Int = 4, clients: Int = 5, beta: Double = 0.5, workers: Int = 2, seed: UInt64 = 1,
        extraAlgorithmKeys: String = "", transport: String = "inproc", quorum: Double = 1, maxRetries: Int = 3, hidden: String = "[16, 8]", timeout: Double = 30
    ) throws -> Topology {
        try parse("""
        name: cora-\(algorithm)
        seed: \(seed)
        algorithm: {name: \(algorithm), rounds: \(rounds), lr: 0.01\(extraAlgorithmKeys)}
        workload:
          model: {kind: gcn, hidden: \(hidden)}
          dataset: {name: cora}
          partition: {kind: dirichlet, alpha: \(beta)}
        federation: {clients: \(clients), timeout_s: \(timeout), quorum: \(quorum), max_retries: \(maxRetries), join_timeout_s: 20}
        processes: {workers: \(workers), transport: \(transport)}
        output: {dir: runs/cora, plot: false}
        """)
    }

    /// Federated recommendation on a small synthetic interaction set, one user per client.
    public static func recommender(
        model: String = "{kind: bpr_mf, dimension: 16}", rounds: Int = 4, users: Int = 40, items: Int = 60, perRound: Int = 10,
        workers: Int = 2, seed: UInt64 = 1, extraAlgorithmKeys: String = "", protocolName: String = "all_ranking",
        transport: String = "inproc", quorum: Double = 1, timeout: Double = 30, evalEvery: Int = 2, localEpochs: Int = 2,
        meanExtra: Int = 10
    ) throws -> Topology {
        try parse("""
        name: fedrec-fixture
        seed: \(seed)
        algorithm: {name: fedrec, rounds: \(rounds), eval_every: \(evalEvery), local_epochs: \(localEpochs)\(extraAlgorithmKeys)}
        workload:
          model: \(model)
          dataset: {name: synthetic_interactions, users: \(users), items: \(items), min_per_user: 5, mean_extra: \(meanExtra), protocol: \(protocolName)}
          partition: {kind: one_user_per_client}
        federation: {clients: \(users), per_round: \(perRound), timeout_s: \(timeout), quorum: \(quorum), join_timeout_s: 20}
        processes: {workers: \(workers), transport: \(transport)}
        output: {dir: runs/fedrec, plot: false}
        """)
    }

    /// Runs `topology` with coordinator and workers as threads, in `directory` or a fresh temporary one.
    public static func threadedRun(_ topology: Topology, _ name: String, workers: [Worker.Options]? = nil,
                                   transport: Topology.Transport = .inproc, resume: Bool = false,
                                   directory: RunDirectory? = nil) throws -> (RunDirectory, Coordinator.Summary) {
        let runDirectory = try directory ?? RunDirectory(existing: Fixtures.temporaryDirectory(name))
        let summary = try ThreadedRun.run(topology: topology, runDirectory: runDirectory, transport: transport, workerOptions: workers,
                                          resume: resume)
        return (runDirectory, summary)
    }

    /// Parses topology YAML as if it were a file in `topologies/` (so bundled data is found).
    public static func parse(_ yaml: String) throws -> Topology {
        let file = Fixtures.path("topologies/test-fixture.yaml")
        return try Topology(node: YAMLConfigLoader.parse(yaml, file: file), file: file)
    }

    /// `metrics.csv` without the wall-clock column (the part the determinism contract covers).
    public static func deterministicMetrics(_ directory: String) throws -> [String] {
        let text = try String(contentsOfFile: directory + "/" + RunDirectory.File.metrics, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset != 1 }.map { String($0.element) }.joined(separator: ",")
        }
    }

    /// The events of a run, decoded.
    public static func events(_ directory: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: directory + "/" + RunDirectory.File.events, encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}
