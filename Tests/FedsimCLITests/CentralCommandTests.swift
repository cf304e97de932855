import FedReport
import FedTestSupport
import Foundation
import Testing

/// `fedsim central`: a recommender topology's model trained centrally, rows per evaluated epoch.
@Suite struct CentralCommandTests {
    func topology(_ directory: String) throws -> String {
        let path = directory + "/rec.yaml"
        try """
        name: central-fixture
        seed: 3
        algorithm: {name: fedrec, rounds: 1}
        workload:
          model: {kind: bpr_mf, dimension: 8}
          dataset: {name: synthetic_interactions, users: 30, items: 40, min_per_user: 5, mean_extra: 5}
        federation: {clients: 30}
        output: {dir: runs/central-fixture}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: ["bpr_mf", "lightgcn", "ngcf"])
    func central_writesOneRowPerEvaluatedEpoch(kind: String) throws {
        let directory = Fixtures.temporaryDirectory("cli-central-\(kind)")
        let output = try CLIHarness.run(["central", try topology(directory), "--set", "workload.model.kind=\(kind)", "--epochs", "4",
                                         "--eval-every", "2", "--lr", "0.01", "--batch-size", "64", "--out", directory + "/run"])
        #expect(output.status == 0, "stderr: \(output.stderr)")
        let table = try MetricsTable(contentsOf: URL(fileURLWithPath: directory + "/run/metrics.csv"))
        #expect(table.column("round") == [2, 4] && table.column("data_epochs") == [2, 4])
        let recall = try #require(table.column("recall_20")), loss = try #require(table.column("train_loss"))
        #expect(recall.allSatisfy { $0 > 0 && $0 <= 1 })
        #expect(loss[1] < loss[0])
        // Every synthetic user holds at least 5 interactions, so each has held-out items.
        #expect(table.column("test_users") == [30, 30])
        #expect(FileManager.default.fileExists(atPath: directory + "/run/convergence.svg"))
    }

    @Test func central_refusesADataSetThatIsNotInteractions() throws {
        let directory = Fixtures.temporaryDirectory("cli-central-bad")
        let output = try CLIHarness.run(["central", Fixtures.path("topologies/quickstart.yaml"), "--out", directory + "/run"])
        #expect(output.status != 0)
        #expect(output.stderr.contains("recommenders") || output.stderr.contains("interaction"), "stderr: \(output.stderr)")
    }
}
