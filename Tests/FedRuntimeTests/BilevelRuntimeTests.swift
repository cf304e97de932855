import FedAlgorithms
import FedCore
import FedReport
import FedRuntime
import FedTestSupport
import FedWorkloads
import Foundation
import Testing

/// The federated bilevel algorithms through the real coordinator and workers.
@Suite struct BilevelRuntimeTests {
    static func quadratic(algorithm: String, rounds: Int, perRound: Int, keys: String, seed: UInt64 = 1, workers: Int = 2,
                          noise: Double = 0.5) throws -> Topology {
        try TopologyFixtures.parse("""
        name: bilevel
        seed: \(seed)
        algorithm: {name: \(algorithm), rounds: \(rounds)\(keys)}
        workload:
          model: {kind: quadratic_bilevel, noise: \(noise), upper_reg: 0.1}
          dataset: {name: quadratic_bilevel, upper_dimension: 5, lower_dimension: 5, heterogeneity: 1.0}
          partition: {kind: iid}
        federation: {clients: 50, per_round: \(perRound), quorum: 1.0, join_timeout_s: 20}
        processes: {workers: \(workers), transport: inproc}
        output: {plot: false}
        """)
    }

    static func hyperRepresentation(algorithm: String, rounds: Int, keys: String, workers: Int) throws -> Topology {
        try TopologyFixtures.parse("""
        name: hr
        seed: 2
        algorithm: {name: \(algorithm), rounds: \(rounds), batch_size: 16\(keys)}
        workload:
          model: {kind: hyper_representation, hidden: [8]}
          dataset: {name: digits}
          partition: {kind: label_split, classes_per_client: 2}
        federation: {clients: 9, per_round: 4, join_timeout_s: 20}
        processes: {workers: \(workers), transport: inproc}
        output: {plot: false}
        """)
    }

    static func run(_ topology: Topology, _ label: String) throws -> RunDirectory {
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory(label))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        return directory
    }

    static func column(_ name: String, _ directory: RunDirectory) throws -> [Double] {
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        return try #require(table.column(name))
    }

    @Test func fedMBO_plateauFallsAtLeastLinearlyInTheClientsPerRound() throws {
        // Spec §3.9 claim 1, shortened (T = 5, Q = 20, 200 outer iterations of 27 rounds): the mean of
        // ‖∇Φ(x)‖² over the last 100 outer iterations at n = 8 must be below a quarter of n = 2's.
        let keys = ", inner_rounds: 5, neumann_rounds: 20, lr_inner: 0.1, lr_neumann: 0.1, lr_outer: 0.05, batch_size: 1"
        func plateau(_ n: Int) throws -> Double {
            let directory = try Self.run(Self.quadratic(algorithm: "fedmbo", rounds: 5400, perRound: n, keys: keys), "speedup-\(n)")
            let values = try Self.column("hypergrad_norm_sq", directory).suffix(2700)
            return values.reduce(0, +) / Double(values.count)
        }
        let (two, eight) = (try plateau(2), try plateau(8))
        print("FedMBO plateau of ‖∇Φ‖²: n = 2: \(two), n = 8: \(eight)")
        #expect(eight < two / 4, "n = 8 plateau \(eight) vs n = 2 plateau \(two)")
    }

    @Test func phases_areTaggedOnEveryRound_andFedOutKeepsOneClientSample() throws {
        let keys = ", inner_rounds: 2, neumann_terms: 3, lr_outer: 0.05, batch_size: 1"
        let directory = try Self.run(Self.quadratic(algorithm: "fednest", rounds: 24, perRound: 5, keys: keys), "fednest-phases")
        let starts = try TopologyFixtures.events(directory.url.path).filter { $0["event"] as? String == "round_start" }
        let phases = starts.map { $0["phase"] as? String ?? "" }
        let one = ["inner_full", "inner_local", "inner_full", "inner_local", "ihgp_start", "ihgp", "ihgp", "ihgp", "hypergrad", "outer_local"]
        #expect(phases == Array((one + one + one).prefix(24)))
        let samples = starts.map { $0["sampled"] as? [Int] ?? [] }
        for outer in 0..<2 {
            let fedOut = samples[(outer * 10 + 4)..<(outer * 10 + 10)]
            #expect(Set(fedOut).count == 1, "FedOut of outer iteration \(outer) asks one sample: \(fedOut)")
            #expect(samples[outer * 10] == samples[outer * 10 + 1], "an SVRG pair shares its sample")
        }
        #expect(samples[0] != samples[2], "each SVRG pair draws afresh")
    }

    @Test func roundsPerOuterIteration_followTheAuthorsTable() throws {
        // FedNest 2T + N + 3, FedNest-SGD T + N + 3, LFedNest T + 1, LFedNest-SVRG 2T + 1 (T = 3, N = 4).
        func rounds(_ algorithm: String, _ optimizer: String) throws -> Int {
            let topology = try Self.quadratic(algorithm: algorithm, rounds: 1, perRound: 2,
                                              keys: ", inner_rounds: 3, neumann_terms: 4, inner_optimizer: \(optimizer)")
            let workload = try PreparedWorkload.prepare(topology, role: .coordinator)
            return try #require(try topology.makeAlgorithm(model: workload.model) as? any BilevelAlgorithm).roundsPerOuterIteration
        }
        #expect(try rounds("fednest", "svrg") == 13)
        #expect(try rounds("fednest", "sgd") == 10)
        #expect(try rounds("lfednest", "sgd") == 4)
        #expect(try rounds("lfednest", "svrg") == 7)
    }

    @Test(arguments: ["fedmbo", "fednest", "lfednest"])
    func results_areIdenticalForOneAndThreeWorkers(algorithm: String) throws {
        let keys = algorithm == "fedmbo" ? ", inner_rounds: 2, neumann_rounds: 2, lr_outer: 0.2"
            : ", inner_rounds: 1, neumann_terms: 2, inner_local_epochs: 1, lr_outer: 0.2"
        let one = try Self.run(Self.hyperRepresentation(algorithm: algorithm, rounds: 14, keys: keys, workers: 1), "\(algorithm)-1")
        let three = try Self.run(Self.hyperRepresentation(algorithm: algorithm, rounds: 14, keys: keys, workers: 3), "\(algorithm)-3")
        #expect(try TopologyFixtures.deterministicMetrics(one.url.path) == TopologyFixtures.deterministicMetrics(three.url.path))
        let model1 = try Data(contentsOf: URL(fileURLWithPath: one.path(RunDirectory.File.model)))
        let model3 = try Data(contentsOf: URL(fileURLWithPath: three.path(RunDirectory.File.model)))
        #expect(model1 == model3)
        let accuracy = try Self.column("test_accuracy", one)
        #expect(accuracy.last! > accuracy.first!, "training moves the model: \(accuracy.first!) → \(accuracy.last!)")
    }

    @Test func noiselessFedNest_onIdenticalClients_reachesTheStationaryPoint() throws {
        // Identical clients: local Hessians equal the global one, so FedNest's only error is the
        // Neumann truncation, (1 − ημ)^(N+1) with η = 0.3, N = 30: negligible.
        let topology = try TopologyFixtures.parse("""
        name: fednest-identical
        seed: 4
        algorithm: {name: fednest, rounds: 3400, inner_rounds: 1, inner_local_epochs: 10, neumann_terms: 30, lr_inner: 0.3,
                    lr_outer: 0.5, lr_neumann: 0.3, batch_size: 1}
        workload:
          model: {kind: quadratic_bilevel, noise: 0, upper_reg: 0.1}
          dataset: {name: quadratic_bilevel, upper_dimension: 3, lower_dimension: 4, heterogeneity: 0}
          partition: {kind: iid}
        federation: {clients: 6, per_round: 3, join_timeout_s: 20}
        processes: {workers: 2, transport: inproc}
        output: {plot: false}
        """)
        let values = try Self.column("hypergrad_norm_sq", Self.run(topology, "fednest-identical"))
        #expect(values.first! > 0.01)
        #expect(values.last! < 1e-8, "‖∇Φ‖² \(values.first!) → \(values.last!)")
    }

    @Test func bilevelModelsAndAlgorithms_onlyPairWithEachOther() throws {
        func rejection(_ algorithm: String, model: String, dataset: String, partition: String = "iid") -> String? {
            do {
                _ = try TopologyFixtures.parse("""
                name: pairing
                algorithm: {name: \(algorithm), rounds: 5}
                workload: {model: {kind: \(model)}, dataset: {name: \(dataset)}, partition: {kind: \(partition)}}
                federation: {clients: 4}
                """)
                return nil
            } catch let error as ConfigError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(rejection("fedavg", model: "quadratic_bilevel", dataset: "quadratic_bilevel")?.contains("bilevel problem") == true)
        #expect(rejection("fedmbo", model: "mlp", dataset: "digits")?.contains("bilevel model") == true)
        #expect(rejection("fednest", model: "hyper_cleaning", dataset: "synthetic_gaussians")?.contains("labelled data set") == true)
        #expect(rejection("fedmbo", model: "quadratic_bilevel", dataset: "digits") != nil)
        #expect(rejection("fedmbo", model: "hyper_cleaning", dataset: "digits") == nil)
        #expect(rejection("lfednest", model: "hyper_representation", dataset: "digits") == nil)
        #expect(rejection("fednest", model: "regularization_tuning", dataset: "digits")?.contains("breast_cancer") == true)
    }
}
