import FedTestSupport
import Foundation
import Testing

/// `fedsim tune`: trials are real federated runs, recorded in trials.csv; a study resumes exactly; a
/// failed trial is recorded as failed; a bad space fails before any trial.
@Suite struct TuneCommandTests {
    /// A tiny digits study with `space` and `methods`, written into `directory`.
    func writeStudy(directory: String, methods: String, space: String, trials: Int = 4) throws -> String {
        let path = directory + "/study.yaml"
        try """
        name: tiny-study
        seed: 5
        algorithm: {name: fedavg, rounds: 3, local_epochs: 1, batch_size: 16, lr: 0.1}
        workload:
          model: {kind: mlp, hidden: [16]}
          dataset: {name: digits, path: "\(Fixtures.path("data/digits/digits.csv"))"}
          partition: {kind: iid}
        federation: {clients: 8, per_round: 4, timeout_s: 5, quorum: 1.0, max_retries: 0}
        processes: {workers: 2, transport: tcp}
        output: {dir: "\(directory)/study", plot: false}
        tuning:
          methods: [\(methods)]
          trials: \(trials)
          initial_points: 2
          space:
        \(space)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// trials.csv without the columns that differ between two identical studies (seconds, run directory).
    func comparable(_ file: String) throws -> [String] {
        try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset != 3 && $0.offset != 5 }.map { String($0.element) }.joined(separator: ",")
        }
    }

    @Test func study_resumedAfterTwoTrials_equalsTheUninterruptedStudy() throws {
        let directory = Fixtures.temporaryDirectory("tune-resume")
        let study = try writeStudy(directory: directory, methods: "bo, random", space: """
            algorithm.lr: {log_uniform: [0.01, 0.5]}
            algorithm.local_epochs: {values: [1, 2]}
        """)
        let whole = try CLIHarness.run(["tune", study, "--out", directory + "/whole"], timeout: 300)
        #expect(whole.status == 0, "\(whole.stderr)")
        #expect(try CLIHarness.run(["tune", study, "--out", directory + "/part", "--trials", "2"], timeout: 300).status == 0)
        let resumed = try CLIHarness.run(["tune", study, "--resume", directory + "/part"], timeout: 300)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        for method in ["bo", "random"] {
            let rows = try comparable(directory + "/whole/\(method)/trials.csv")
            #expect(rows.count == 5, "header and 4 trials")
            #expect(try comparable(directory + "/part/\(method)/trials.csv") == rows, "\(method)")
        }
        // Each trial is a real run with its own run directory.
        #expect(FileManager.default.fileExists(atPath: directory + "/whole/bo/trial-004/metrics.csv"))
        #expect(FileManager.default.fileExists(atPath: directory + "/whole/tuning.svg"))
        #expect(whole.stdout.contains("within 1 % of the overall best"))
    }

    @Test func trialWhoseRunFails_isRecordedAsFailed_andTheStudyGoesOn() throws {
        let directory = Fixtures.temporaryDirectory("tune-failed")
        // One choice of data file does not exist: that trial's coordinator stops with an error.
        let study = try writeStudy(directory: directory, methods: "grid", space: """
            workload.dataset.path: {choice: ["\(Fixtures.path("data/digits/digits.csv"))", "\(directory)/missing.csv"]}
        """, trials: 2)
        let output = try CLIHarness.run(["tune", study, "--out", directory + "/study"], timeout: 300)
        #expect(output.status == 0, "\(output.stderr)")
        let rows = try String(contentsOfFile: directory + "/study/grid/trials.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let statuses = rows.map { $0.split(separator: ",")[1] }
        #expect(statuses.sorted() == ["failed", "ok"], "\(rows)")
        #expect(output.stderr.contains("failed"))
    }

    @Test func badSpace_failsValidationBeforeAnyTrial_andRunPointsToTune() throws {
        let directory = Fixtures.temporaryDirectory("tune-bad")
        let bad = try writeStudy(directory: directory, methods: "bo", space: """
            algorithm.lr: {log_uniform: [0, 0.5]}
        """)
        let validate = try CLIHarness.run(["validate", bad])
        #expect(validate.status != 0 && validate.stderr.contains("log_uniform needs a positive low bound"), "\(validate.stderr)")
        let unknownKey = try writeStudy(directory: directory, methods: "bo", space: """
            algorithm.learning_rate: {uniform: [0.01, 0.5]}
        """)
        let tune = try CLIHarness.run(["tune", unknownKey, "--out", directory + "/never"])
        #expect(tune.status == 2 && tune.stderr.contains("learning_rate"), "\(tune.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/never/bo/trial-001"))
        let good = try writeStudy(directory: directory, methods: "bo", space: """
            algorithm.lr: {uniform: [0.01, 0.5]}
        """)
        let run = try CLIHarness.run(["run", good])
        #expect(run.status == 2 && run.stderr.contains("fedsim tune"))
    }
}
