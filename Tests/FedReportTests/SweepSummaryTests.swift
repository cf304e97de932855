import FedReport
import Foundation
import Testing

@Suite struct SweepSummaryTests {
    static func point(_ value: String, _ plateau: Double) -> SweepSummary.Point {
        SweepSummary.Point(value: value, metric: "m", plateau: plateau, runDirectory: "/r/\(value)")
    }

    @Test func numericValues_plotOnLogLogAxes_withTheOneOverNReference() throws {
        let svg = try #require(SweepSummary.render([Self.point("1", 0.1), Self.point("4", 0.02), Self.point("16", 0.004)],
                                                   key: "federation.per_round", metric: "hypergrad_norm_sq", title: "t"))
        #expect(svg.contains("∝ 1/per_round (reference)"))
        #expect(svg.contains("plateau of hypergrad norm sq"))
    }

    @Test func nonNumericValues_giveNoPlot() {
        #expect(SweepSummary.render([Self.point("fedavg", 0.1), Self.point("fedmm", 0.2)], key: "algorithm.name", metric: "m",
                                    title: "t") == nil)
    }

    @Test func directoryNames_keepTheKeysLastPartAndASafeValue() {
        #expect(SweepSummary.directoryName(key: "federation.per_round", value: "8") == "per_round-8")
        #expect(SweepSummary.directoryName(key: "algorithm.lr", value: "1e-3") == "lr-1e-3")
        #expect(SweepSummary.directoryName(key: "workload.model.kind", value: "a/b") == "kind-a_b")
    }

    @Test func plateau_isTheMeanOfTheFiniteValuesOfTheLastRounds() throws {
        let directory = try RunDirectory.makeFresh(at: NSTemporaryDirectory() + "sweep-summary-\(UUID().uuidString)")
        let rows = ["round,wall_s,m", "1,0,8", "2,0,6", "3,0,nan", "4,0,2"].joined(separator: "\n") + "\n"
        try directory.writeAtomically(RunDirectory.File.metrics, Data(rows.utf8))
        let half = try SweepSummary.point(value: "1", runDirectory: directory, metric: "m", lastFraction: 0.5)
        #expect(half.plateau == 2, "rounds 3 and 4, NaN skipped")
        let all = try SweepSummary.point(value: "1", runDirectory: directory, metric: "m", lastFraction: 1)
        #expect(all.plateau == 16.0 / 3)
    }
}
