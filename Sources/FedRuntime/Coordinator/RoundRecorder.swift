import FedReport
import Foundation

/// Writes the per-round outputs: `metrics.csv`, `timings.csv` and the progress line.
///
/// On resume, rows after the checkpoint's round are dropped (they may come from a round whose
/// checkpoint was never written) and new rows are appended, so the files read as one run.
final class RoundRecorder {
    /// A round's row, waiting for its evaluation.
    struct Row {
        var metrics: [String: Double]
        var roundSeconds: Double
        var coordinatorSeconds: Double
        /// Summed over the round's accepted updates, as the workers reported them.
        var clientComputeSeconds: Double = 0
        var clientBLASSeconds: Double = 0
    }

    private let metrics: MetricsWriter
    private let timings: LineWriter
    private let progress: ProgressLine?
    /// The metric the progress line shows (the model's headline metric).
    private let headlineMetric: String

    init(runDirectory: RunDirectory, keepingRoundsThrough keptRound: Int, extraColumns: [String], progress: ProgressLine?,
         headlineMetric: String = "test_accuracy") throws {
        let metricsPath = runDirectory.path(RunDirectory.File.metrics)
        let timingsPath = runDirectory.path(RunDirectory.File.timings)
        let keptMetrics = keptRound > 0 ? Self.rows(of: metricsPath, through: keptRound) : []
        let keptTimings = keptRound > 0 ? Self.rows(of: timingsPath, through: keptRound) : []
        metrics = try MetricsWriter(path: metricsPath, extraColumns: extraColumns)
        timings = try LineWriter(path: timingsPath)
        timings.write("round,wall_s,coordinator_s,evaluate_s,client_compute_s,client_blas_s")
        for line in keptMetrics { metrics.appendRaw(line) }
        for line in keptTimings { timings.write(line) }
        self.progress = progress
        self.headlineMetric = headlineMetric
    }

    func append(_ row: Row, evaluation: BackgroundEvaluator.Result) {
        var values = row.metrics
        values.merge(evaluation.metrics) { _, evaluated in evaluated }
        metrics.append(values)
        let round = Int(values["round"] ?? 0)
        timings.write("\(round),\(row.roundSeconds),\(row.coordinatorSeconds),\(evaluation.seconds),"
                      + "\(row.clientComputeSeconds),\(row.clientBLASSeconds)")
        progress?.update(round: round, metricName: headlineMetric, metric: values[headlineMetric] ?? .nan)
    }

    func close() {
        metrics.close()
        timings.close()
    }

    /// Data lines of a CSV whose first column (the round) is at most `round`.
    static func rows(of path: String, through round: Int) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().compactMap { line in
            guard let first = line.split(separator: ",").first, let value = Int(first), value <= round else { return nil }
            return String(line)
        }
    }
}
