import Foundation

/// Builds the convergence figure of one or more runs from their `metrics.csv` files.
///
/// Panels: test accuracy against round, test accuracy against cumulative bytes communicated
/// (up + down), and mean client training loss against round. Each run is one series, labelled by
/// its directory name.
public enum ConvergencePlot {
    /// Renders the figure for the run directories given; `xColumn` is the first and last panels'
    /// x axis (`round` by default; `data_epochs` puts federated and centralised recommender runs on
    /// one scale).
    ///
    /// - Throws: `ReportError` when a metrics file is missing or malformed.
    public static func render(runDirectories: [String], metric: String = "test_accuracy", title: String? = nil,
                              logarithmic: Bool = false, xColumn: String = "round") throws(ReportError) -> String {
        var byRound = [ChartSeries](), byBytes = [ChartSeries](), loss = [ChartSeries]()
        for directory in runDirectories {
            let file = URL(fileURLWithPath: directory).appendingPathComponent("metrics.csv")
            let table = try MetricsTable(contentsOf: file)
            let label = URL(fileURLWithPath: directory).standardizedFileURL.lastPathComponent
            let rounds = try table.requireColumn(xColumn, file: file.path)
            let values = try table.requireColumn(metric, file: file.path)
            let up = try table.requireColumn("bytes_up", file: file.path)
            let down = try table.requireColumn("bytes_down", file: file.path)
            // Decentralized runs also count the gossip that crossed between workers.
            let gossip = table.column("bytes_gossip") ?? [Double](repeating: 0, count: up.count)
            var cumulative = [Double]()
            var total = 0.0
            for ((u, d), g) in zip(zip(up, down), gossip) {
                total += (u.isFinite ? u : 0) + (d.isFinite ? d : 0) + (g.isFinite ? g : 0)
                cumulative.append(total)
            }
            // Metrics measured every few rounds (client-side evaluation) leave NaN rows between: the
            // line joins the measured points.
            let measured = values.indices.filter { values[$0].isFinite }
            byRound.append(ChartSeries(label: label, xs: measured.map { rounds[$0] }, ys: measured.map { values[$0] }))
            byBytes.append(ChartSeries(label: label, xs: measured.map { cumulative[$0] }, ys: measured.map { values[$0] }))
            if let trainLoss = table.column("train_loss"), trainLoss.contains(where: \.isFinite) { loss.append(ChartSeries(label: label, xs: rounds, ys: trainLoss)) }
        }
        let pretty = metric.replacingOccurrences(of: "_", with: " "), xName = xColumn.replacingOccurrences(of: "_", with: " ")
        var panels = [
            ChartPanel(title: "\(pretty) vs \(xName)", xLabel: xName, yLabel: pretty, series: byRound,
                       yScale: logarithmic ? .log10 : .linear),
            ChartPanel(title: "\(pretty) vs bytes communicated", xLabel: "bytes communicated (up + down, cumulative)",
                       yLabel: pretty, series: byBytes, yScale: logarithmic ? .log10 : .linear, xFormat: .bytes),
        ]
        if !loss.isEmpty {
            panels.append(ChartPanel(title: "mean client training loss", xLabel: xName, yLabel: "train loss", series: loss))
        }
        let heading = title ?? (runDirectories.count == 1 ? "FedSim run" : "FedSim runs compared")
        return SVGChart.render(title: heading, panels: panels)
    }
}
