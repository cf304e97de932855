import FedCore
import FedReport
import FedRuntime
import FedTestSupport
import Foundation
import Testing

/// The identities of optimization.md §2.8 (claims 1 and 2) and convergence of the local-SGDA family
/// to a known saddle, through the real coordinator and workers.
@Suite struct MinimaxIdentityTests {
    struct Outcome {
        /// The final global parameters.
        var model: [Float]
        var columns: [String: [Double]]
    }

    func run(_ algorithm: String, _ keys: String, workload: String, rounds: Int, label: String, perRound: Int = 3) throws -> Outcome {
        let topology = try TopologyFixtures.parse("""
        name: minimax
        seed: 4
        algorithm: {name: \(algorithm), rounds: \(rounds)\(keys)}
        workload: \(workload)
        federation: {clients: 6, per_round: \(perRound), quorum: 1.0, join_timeout_s: 20}
        processes: {workers: 2, transport: inproc}
        output: {plot: false}
        """)
        let directory = try RunDirectory(existing: Fixtures.temporaryDirectory("minimax-\(label)"))
        _ = try ThreadedRun.run(topology: topology, runDirectory: directory)
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.metrics)))
        var columns = [String: [Double]]()
        for name in ["test_loss", "worst_class_accuracy", "saddle_distance"] { columns[name] = table.column(name) }
        let file = try Data(contentsOf: URL(fileURLWithPath: directory.path(RunDirectory.File.model)))
        return Outcome(model: try ModelFile.decode(file).parameters, columns: columns)
    }

    static let fair = """
        {model: {kind: fair_mlp, hidden: [16]}, dataset: {name: digits}, partition: {kind: dirichlet, alpha: 0.3}}
        """
    static let local = ", local_steps: 5, batch_size: 16, lr: 0.05"

    @Test func fessGDA_withoutSmoothingAndUnitGlobalSteps_isLocalSGDA() throws {
        let fess = try run("fess_gda", Self.local + ", smoothing_p: 0, global_lr_x: 1, global_lr_y: 1", workload: Self.fair,
                           rounds: 6, label: "fess-p0")
        let sgda = try run("local_sgda", Self.local, workload: Self.fair, rounds: 6, label: "sgda")
        #expect(fess.model == sgda.model)
        #expect(fess.columns["test_loss"] == sgda.columns["test_loss"])
        #expect(fess.columns["worst_class_accuracy"] == sgda.columns["worst_class_accuracy"])
    }

    @Test func fessGDA_withAnchorRateOne_hasNoSmoothingTerm() throws {
        let steps = ", global_lr_x: 0.5, global_lr_y: 0.7"
        let anchored = try run("fess_gda", Self.local + steps + ", smoothing_p: 3, anchor_rate: 1", workload: Self.fair,
                               rounds: 6, label: "fess-beta1")
        let plain = try run("fess_gda", Self.local + steps + ", smoothing_p: 0", workload: Self.fair, rounds: 6, label: "fess-plain")
        #expect(anchored.model == plain.model)
        // ...and the smoothing does change the trajectory when the anchor lags.
        let lagging = try run("fess_gda", Self.local + steps + ", smoothing_p: 3, anchor_rate: 0.1", workload: Self.fair,
                              rounds: 6, label: "fess-lag")
        #expect(lagging.model != plain.model)
    }

    static let saddle = """
        {model: {kind: quadratic_saddle}, dataset: {name: quadratic_saddle, dimension: 3}, partition: {kind: iid}}
        """

    /// With one local step there is no client drift, so every method's fixed point is the global saddle
    /// (for FESS-GDA because z = x there, for Local SGDA+ because x̃ = x).
    @Test(arguments: [
        ("fess_gda", ", smoothing_p: 0.5, anchor_rate: 0.2"),
        ("fess_gda", ", smoothing_p: 0.5, anchor_rate: 0.2, smoothing: client"),
        ("local_sgda_plus", ", snapshot_period: 5"),
        ("local_sgda", ""),
    ])
    func localSGDAFamily_reachesTheSaddle_withoutDrift(algorithm: String, keys: String) throws {
        let outcome = try run(algorithm, ", local_steps: 1, batch_size: 1, lr: 0.05" + keys, workload: Self.saddle, rounds: 1500,
                              label: "saddle-\(algorithm)", perRound: 6)
        let distance = try #require(outcome.columns["saddle_distance"]?.last)
        #expect(distance < 1e-3, "\(algorithm)\(keys): distance \(distance)")
    }
}
