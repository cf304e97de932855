import FedReport
import Foundation
import Testing

/// The run plot: metrics measured every few rounds (client-side evaluation) leave NaN rows between;
/// the line joins the measured points instead of leaving isolated markers.
@Suite struct ConvergencePlotTests {
    @Test func sparselyMeasuredMetric_isOneJoinedLine() throws {
        let directory = try RunDirectory.makeFresh(at: NSTemporaryDirectory() + "convergence-\(UUID().uuidString)")
        let rows = ["round,bytes_up,bytes_down,train_loss,recall_20", "1,10,10,0.7,nan", "2,10,10,0.6,0.1", "3,10,10,0.5,nan",
                    "4,10,10,0.4,0.3"].joined(separator: "\n") + "\n"
        try directory.writeAtomically(RunDirectory.File.metrics, Data(rows.utf8))
        let svg = try ConvergencePlot.render(runDirectories: [directory.url.path], metric: "recall_20")
        let paths = svg.split(separator: "\n").filter { $0.contains("class=\"series\"") }
        // Metric vs round, metric vs bytes, training loss: each one line; the metric's joins 2 points.
        #expect(paths.count == 3)
        for path in paths.prefix(2) {
            #expect(path.components(separatedBy: " L").count == 2 && path.components(separatedBy: "M").count == 2, "\(path)")
        }
        try? FileManager.default.removeItem(at: directory.url)
    }
}
