import Foundation
import Testing

@testable import FedReport

@Suite struct SVGChartTests {
    private func series(_ label: String, _ ys: [Double], xs: [Double]? = nil) -> ChartSeries {
        ChartSeries(label: label, xs: xs ?? ys.indices.map { Double($0 + 1) }, ys: ys)
    }

    private func parsed(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SVGElement {
        let root = try #require(SVGElement.parse(svg), "SVG is not well-formed XML", sourceLocation: sourceLocation)
        #expect(root.name == "svg", sourceLocation: sourceLocation)
        #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg", sourceLocation: sourceLocation)
        #expect(root.attributes["viewBox"] != nil, sourceLocation: sourceLocation)
        #expect(root.number("width") != nil && root.number("height") != nil, sourceLocation: sourceLocation)
        return root
    }

    /// Checks that every drawn point of every panel lies inside that panel's plot frame.
    private func expectPointsInsideFrames(_ root: SVGElement, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for panel in root.descendants(withClass: "panel") {
            let frame = try #require(panel.descendants(withClass: "plot-frame").first, sourceLocation: sourceLocation)
            let left = try #require(frame.number("x")), top = try #require(frame.number("y"))
            let right = left + (try #require(frame.number("width")))
            let bottom = top + (try #require(frame.number("height")))
            #expect(right > left && bottom > top, sourceLocation: sourceLocation)
            var points: [(x: Double, y: Double)] = []
            for path in panel.descendants(withClass: "series") {
                let data = try #require(path.attributes["d"], sourceLocation: sourceLocation)
                points += try #require(pathPoints(data), "bad path \(data)", sourceLocation: sourceLocation).points
            }
            for marks in panel.descendants(withClass: "markers") {
                points += marks.descendants(named: "circle").compactMap { circle in
                    guard let x = circle.number("cx"), let y = circle.number("cy") else { return nil }
                    return (x, y)
                }
            }
            for point in points {
                let inside = point.x >= left - 0.01 && point.x <= right + 0.01
                    && point.y >= top - 0.01 && point.y <= bottom + 0.01
                #expect(
                    inside, "\(point) outside \(left)...\(right) × \(top)...\(bottom)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func rendersStructureTitleAndLegend() throws {
        let labels = ["FedAvg", "FedProx μ=0.01", "a<b & \"c\"", "x > 'y'"]
        let panels = [
            ChartPanel(
                title: "Test accuracy", xLabel: "round", yLabel: "accuracy",
                series: labels.enumerated().map { index, label in
                    series(label, (0..<20).map { 0.1 + 0.04 * Double($0) + 0.01 * Double(index) })
                }),
            ChartPanel(
                title: "Loss vs traffic", xLabel: "bytes sent", yLabel: "loss",
                series: [series("FedAvg", [2.3, 1.1, 0.6, 0.35], xs: [0, 2e6, 4e6, 6e6])],
                yScale: .log10, xFormat: .bytes),
        ]
        let svg = SVGChart.render(title: "Run <42> & friends", panels: panels)
        let root = try parsed(svg)
        #expect(root.number("width") == 1000)
        #expect(svg.contains("Run &lt;42&gt; &amp; friends"))
        #expect(svg.contains("a&lt;b &amp; &quot;c&quot;"))
        #expect(svg.contains("x &gt; &apos;y&apos;"))
        #expect(root.descendants(withClass: "chart-title").first?.text == "Run <42> & friends")

        let panelNodes = root.descendants(withClass: "panel")
        try #require(panelNodes.count == 2)
        #expect(panelNodes[0].descendants(withClass: "series").count == labels.count)
        #expect(panelNodes[1].descendants(withClass: "series").count == 1)
        let legendText = panelNodes[0].descendants(withClass: "legend").map(\.text).joined()
        for label in labels {
            #expect(legendText.contains(label), "legend lacks \(label)")
        }
        let titles = root.descendants(withClass: "panel-title").map(\.text)
        #expect(titles == ["Test accuracy", "Loss vs traffic"])
        let axisLabels = root.descendants(withClass: "axis-label").map(\.text)
        #expect(axisLabels == ["round", "accuracy", "bytes sent", "loss"])
        let tickLabels = panelNodes[1].descendants(withClass: "tick-label").map(\.text)
        #expect(tickLabels.contains("2 MB") && tickLabels.contains("1") && tickLabels.contains("0.1"))

        // Twenty points are few enough for markers on every point.
        #expect(panelNodes[0].descendants(withClass: "markers").first?.descendants(named: "circle").count == 20)
        let colours = Set(panelNodes[0].descendants(withClass: "series").compactMap { $0.attributes["stroke"] })
        #expect(colours.count == labels.count)
        try expectPointsInsideFrames(root)
    }

    @Test func outputIsDeterministic() {
        let panel = ChartPanel(
            title: "t", xLabel: "x", yLabel: "y", series: [series("s", [0.123456789, 1 / 3, 2.0 / 7])])
        #expect(SVGChart.render(title: "T", panels: [panel]) == SVGChart.render(title: "T", panels: [panel]))
    }

    @Test func longSeriesHaveNoMarkersAndPaletteCycles() throws {
        let many = (0..<12).map { index in series("s\(index)", (0..<100).map { sin(Double($0 + index) / 10) }) }
        let root = try parsed(SVGChart.render(title: "many", panels: [ChartPanel(
            title: "p", xLabel: "x", yLabel: "y", series: many)]))
        let paths = root.descendants(withClass: "series")
        #expect(paths.count == 12)
        #expect(root.descendants(withClass: "markers").isEmpty)
        let strokes = paths.compactMap { $0.attributes["stroke"] }
        #expect(Set(strokes.prefix(8)).count == 8)
        #expect(strokes[0] == strokes[10])
        try expectPointsInsideFrames(root)
    }

    @Test func missingPointsBreakTheLine() throws {
        let panels = [
            ChartPanel(title: "nan", xLabel: "x", yLabel: "y", series: [series("gap", [1, .nan, 3, 4, .infinity, 2])]),
            ChartPanel(
                title: "log", xLabel: "x", yLabel: "y", series: [series("nonpositive", [1, 0, -1, 10, 100])],
                yScale: .log10),
            ChartPanel(
                title: "log x", xLabel: "x", yLabel: "y", series: [series("lx", [5, 6, 7], xs: [0, 10, 1000])],
                xScale: .log10),
        ]
        let root = try parsed(SVGChart.render(title: "gaps", panels: panels))
        let paths = try root.descendants(withClass: "series").map { try #require(pathPoints($0.attributes["d"] ?? "")) }
        try #require(paths.count == 3)
        #expect(paths[0].moveCount == 3 && paths[0].points.count == 4)
        #expect(paths[1].moveCount == 2 && paths[1].points.count == 3)
        #expect(paths[2].moveCount == 1 && paths[2].points.count == 2)
        try expectPointsInsideFrames(root)
    }

    @Test(arguments: [
        ("no series", [ChartSeries]()),
        ("empty series", [ChartSeries(label: "empty", xs: [], ys: [])]),
        ("single point", [ChartSeries(label: "one", xs: [3], ys: [0.5])]),
        ("flat", [ChartSeries(label: "flat", xs: [1, 2, 3, 4], ys: [7, 7, 7, 7])]),
        ("flat zero", [ChartSeries(label: "zero", xs: [5, 5], ys: [0, 0])]),
        ("all NaN", [ChartSeries(label: "nan", xs: [1, 2], ys: [.nan, .nan])]),
        ("mismatched", [ChartSeries(label: "short", xs: [1, 2, 3], ys: [1])]),
        ("huge", [ChartSeries(label: "big", xs: [1, 2], ys: [-1e300, 1e300])]),
        ("control chars", [ChartSeries(label: "bell\u{7}tab\tnull\u{0}", xs: [1, 2], ys: [1, 2])]),
    ])
    func degenerateInputsStillGiveValidSVG(name: String, data: [ChartSeries]) throws {
        for yScale in [AxisScale.linear, .log10] {
            let panel = ChartPanel(title: name, xLabel: "x", yLabel: "y", series: data, yScale: yScale)
            let root = try parsed(SVGChart.render(title: name, panels: [panel], width: 300, panelHeight: 50))
            #expect(root.descendants(withClass: "panel").count == 1)
            #expect(root.descendants(withClass: "legend").count == (data.isEmpty ? 0 : 1))
            try expectPointsInsideFrames(root)
        }
    }

    @Test func singlePointGetsMarkerAndNoPanelsGivesValidSVG() throws {
        let single = ChartPanel(title: "s", xLabel: "x", yLabel: "y", series: [series("one", [42])])
        let root = try parsed(SVGChart.render(title: "single", panels: [single]))
        #expect(root.descendants(withClass: "series").count == 1)
        #expect(root.descendants(withClass: "markers").first?.descendants(named: "circle").count == 1)

        let empty = try parsed(SVGChart.render(title: "nothing", panels: []))
        #expect(empty.descendants(withClass: "panel").isEmpty)
        #expect(empty.text.contains("nothing"))
    }
}
