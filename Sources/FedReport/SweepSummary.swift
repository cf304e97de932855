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
    public static func write(_ points: [Point], key: String, metric: String, title: String, into directory: RunDirectory,
                             referenceSlope: Double = -1) throws {
        var csv = "value,plateau,run_directory\n"
        for point in points { csv += "\(point.value),\(point.plateau),\(point.runDirectory)\n" }
        try directory.writeAtomically(csvFile, Data(csv.utf8))
        if let svg = render(points, key: key, metric: metric, title: title, referenceSlope: referenceSlope) {
            try directory.writeAtomically(plotFile, Data(svg.utf8))
        }
    }

    /// The plateau against the swept value, on log-log axes when both are positive, with the line
    /// of `referenceSlope` through the first point: −1 is what halving per doubling looks like
    /// (linear speedup), +1 what growing in proportion looks like (linear cost). Nil when a value is
    /// not a number.
    public static func render(_ points: [Point], key: String, metric: String, title: String, referenceSlope: Double = -1) -> String? {
        let xs = points.compactMap { Double($0.value) }
        guard xs.count == points.count, !points.isEmpty else { return nil }
        let ys = points.map(\.plateau)
        let logarithmic = xs.allSatisfy { $0 > 0 } && ys.allSatisfy { $0 > 0 && $0.isFinite }
        let pretty = metric.replacingOccurrences(of: "_", with: " ")
        var series = [ChartSeries(label: "plateau of \(pretty)", xs: xs, ys: ys)]
        if logarithmic, let x0 = xs.first, let y0 = ys.first {
            let name = key.split(separator: ".").last.map(String.init) ?? "x"
            let label = referenceSlope == -1 ? "∝ 1/\(name) (reference)" : referenceSlope == 1 ? "∝ \(name) (reference)" : "∝ \(name)^\(referenceSlope) (reference)"
            series.append(ChartSeries(label: label, xs: xs, ys: xs.map { y0 * libmPowReference($0 / x0, referenceSlope) }))
        }
        let panel = ChartPanel(title: "plateau of \(pretty) vs \(key)", xLabel: key, yLabel: "mean \(pretty) over the final rounds",
                               series: series, xScale: logarithmic ? .log10 : .linear, yScale: logarithmic ? .log10 : .linear)
        return SVGChart.render(title: title, panels: [panel])
    }
}

/// x^p for the reference line (Foundation's pow).
func libmPowReference(_ x: Double, _ p: Double) -> Double { pow(x, p) }
