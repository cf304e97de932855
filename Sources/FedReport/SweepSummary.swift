import Foundation

/// The outputs of a sweep: each run reduced to the plateau of one metric (its mean over the final
/// rounds), `sweep.csv` with one row per value, and `sweep.svg` plotting plateau against value.
public enum SweepSummary {
    public static let csvFile = "sweep.csv"
    public static let plotFile = "sweep.svg"

    /// One run of the sweep.
    public struct Point: Sendable, Equatable {
        public var value: String
        public var metric: String
        /// Mean of the metric's finite values over the last `lastFraction` of the rounds.
        public var plateau: Double
        public var runDirectory: String

        public init(value: String, metric: String, plateau: Double, runDirectory: String) {
            (self.value, self.metric, self.plateau, self.runDirectory) = (value, metric, plateau, runDirectory)
        }
    }

    /// The subdirectory of the run for `value`: the key's last part and the value, e.g. `per_round-8`.
    public static func directoryName(key: String, value: String) -> String {
        let last = key.split(separator: ".").last.map(String.init) ?? key
        let safe = value.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
        return "\(last)-\(String(safe))"
    }

    /// Reads the run's metrics and averages `metric` over its last `lastFraction` of rounds.
    public static func point(value: String, runDirectory: RunDirectory, metric: String, lastFraction: Double) throws -> Point {
        let file = runDirectory.path(RunDirectory.File.metrics)
        let values = try MetricsTable(contentsOf: URL(fileURLWithPath: file)).requireColumn(metric, file: file)
        let tail = values.suffix(max(1, Int((Double(values.count) * lastFraction).rounded(.up)))).filter(\.isFinite)
        let plateau = tail.isEmpty ? .nan : tail.reduce(0, +) / Double(tail.count)
        return Point(value: value, metric: metric, plateau: plateau, runDirectory: runDirectory.url.path)
    }

    /// Writes `sweep.csv` and, when every value is a number, `sweep.svg` into `directory`.
    public static func write(_ points: [Point], key: String, metric: String, title: String, into directory: RunDirectory) throws {
        var csv = "value,plateau,run_directory\n"
        for point in points { csv += "\(point.value),\(point.plateau),\(point.runDirectory)\n" }
        try directory.writeAtomically(csvFile, Data(csv.utf8))
        if let svg = render(points, key: key, metric: metric, title: title) {
            try directory.writeAtomically(plotFile, Data(svg.utf8))
        }
    }

    /// The plateau against the swept value, on log-log axes when both are positive, with the line
    /// of slope −1 through the first point (what halving per doubling looks like: linear speedup).
    /// Nil when a value is not a number.
    public static func render(_ points: [Point], key: String, metric: String, title: String) -> String? {
        let xs = points.compactMap { Double($0.value) }
        guard xs.count == points.count, !points.isEmpty else { return nil }
        let ys = points.map(\.plateau)
        let logarithmic = xs.allSatisfy { $0 > 0 } && ys.allSatisfy { $0 > 0 && $0.isFinite }
        let pretty = metric.replacingOccurrences(of: "_", with: " ")
        var series = [ChartSeries(label: "plateau of \(pretty)", xs: xs, ys: ys)]
        if logarithmic, let x0 = xs.first, let y0 = ys.first {
            series.append(ChartSeries(label: "∝ 1/\(key.split(separator: ".").last ?? "x") (reference)", xs: xs, ys: xs.map { y0 * x0 / $0 }))
        }
        let panel = ChartPanel(title: "plateau of \(pretty) vs \(key)", xLabel: key, yLabel: "mean \(pretty) over the final rounds",
                               series: series, xScale: logarithmic ? .log10 : .linear, yScale: logarithmic ? .log10 : .linear)
        return SVGChart.render(title: title, panels: [panel])
    }
}
