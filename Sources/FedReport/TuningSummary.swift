import Foundation

/// The record of a tuning study: one `trials.csv` per method (a row per finished trial, enough to
/// resume the study exactly) and `tuning.svg`, the best value so far against the trial index.
public enum TuningSummary {
    public static let csvFile = "trials.csv"
    public static let plotFile = "tuning.svg"

    /// One finished trial.
    public struct Trial: Sendable, Equatable {
        public var index: Int
        /// False when the run failed (crashed, or its metric was not finite); `value` is then NaN.
        public var succeeded: Bool
        public var value: Double
        public var seconds: Double
        /// The proposer's unit-cube point (what a resumed study feeds back to it).
        public var point: [Double]
        public var runDirectory: String
        /// The tuned keys' values, in the space's key order.
        public var settings: [String]

        public init(index: Int, succeeded: Bool, value: Double, seconds: Double, point: [Double], runDirectory: String,
                    settings: [String]) {
            (self.index, self.succeeded, self.value, self.seconds) = (index, succeeded, value, seconds)
            (self.point, self.runDirectory, self.settings) = (point, runDirectory, settings)
        }
    }

    /// Writes `trials.csv` for one method.
    public static func write(_ trials: [Trial], keys: [String], into directory: RunDirectory) throws {
        var csv = "trial,status,value,seconds,point,run_directory," + keys.joined(separator: ",") + "\n"
        for trial in trials {
            let point = trial.point.map { String($0) }.joined(separator: " ")
            csv += "\(trial.index),\(trial.succeeded ? "ok" : "failed"),\(trial.value),\(trial.seconds),\(point),"
                + "\(trial.runDirectory),\(trial.settings.joined(separator: ","))\n"
        }
        try directory.writeAtomically(csvFile, Data(csv.utf8))
    }

    /// Reads a method's `trials.csv` back (empty when the file does not exist yet).
    ///
    /// - Throws: `ReportError` when the file exists but is not a trials table for `keys`.
    public static func read(from directory: RunDirectory, keys: [String]) throws -> [Trial] {
        let path = directory.path(csvFile)
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        let header = "trial,status,value,seconds,point,run_directory," + keys.joined(separator: ",")
        guard lines.first.map(String.init) == header else {
            throw ReportError.malformedCSV(file: path, line: 1, reason: "header is not '\(header)': did the study's space change?")
        }
        var trials = [Trial]()
        for (number, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 6 + keys.count, let index = Int(fields[0]), index == trials.count,
                  let value = Double(fields[2]), let seconds = Double(fields[3]) else {
                throw ReportError.malformedCSV(file: path, line: number + 2, reason: "not a trial row")
            }
            let point = fields[4].split(separator: " ").compactMap { Double($0) }
            trials.append(Trial(index: index, succeeded: fields[1] == "ok", value: value, seconds: seconds, point: point,
                                runDirectory: fields[5], settings: Array(fields[6...])))
        }
        return trials
    }

    /// The best value reached by each trial index (failed trials keep the previous best).
    public static func bestSoFar(_ trials: [Trial], maximize: Bool) -> [Double] {
        var best = Double.nan
        return trials.map { trial in
            if trial.succeeded && trial.value.isFinite && (best.isNaN || (maximize ? trial.value > best : trial.value < best)) {
                best = trial.value
            }
            return best
        }
    }

    /// `tuning.svg`: best-so-far against trial, one line per method.
    public static func render(_ studies: [(method: String, trials: [Trial])], metric: String, maximize: Bool, title: String) -> String {
        let series = studies.map { study in
            ChartSeries(label: study.method, xs: study.trials.map { Double($0.index + 1) },
                        ys: bestSoFar(study.trials, maximize: maximize))
        }
        let pretty = metric.replacingOccurrences(of: "_", with: " ")
        let panel = ChartPanel(title: "best \(pretty) so far (\(maximize ? "higher" : "lower") is better)", xLabel: "trial",
                               yLabel: "best \(pretty)", series: series, xScale: .linear, yScale: .linear)
        return SVGChart.render(title: title, panels: [panel])
    }
}
