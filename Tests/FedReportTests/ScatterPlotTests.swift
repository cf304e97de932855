import Foundation
import Testing

@testable import FedReport

@Suite struct ScatterPlotTests {
    func render(_ sets: [ScatterPlot.PointSet]) throws -> SVGElement {
        let svg = ScatterPlot.render(title: "samples <&>", sets: sets)
        let root = try #require(SVGElement.parse(svg), "SVG is not well-formed XML")
        #expect(root.name == "svg" && root.attributes["viewBox"] != nil)
        return root
    }

    @Test func eachSet_isOneGroupWithOneCirclePerFinitePoint() throws {
        let ring = (0..<50).flatMap { i -> [Float] in
            let angle = Double(i) * 2 * Double.pi / 50
            return [Float(2 * cos(angle)), Float(2 * sin(angle))]
        }
        let broken: [Float] = [0, 0, .nan, 1, 1, .infinity, 0.5, -0.5]
        let root = try render([ScatterPlot.PointSet(label: "real", points: ring), ScatterPlot.PointSet(label: "generated", points: broken)])
        let groups = root.descendants(withClass: "point-set")
        #expect(groups.map { $0.descendants(named: "circle").count } == [50, 2])
        #expect(groups.map { $0.descendants(named: "title").first?.text } == ["real", "generated"])
        #expect(Set(groups.compactMap { $0.attributes["fill"] }).count == 2)
        let legend = root.descendants(withClass: "legend-label").map(\.text)
        #expect(legend == ["real (50)", "generated (2, 2 not finite)"])
        #expect(root.descendants(named: "title").first?.text == "samples <&>")
    }

    @Test func points_fillASquareViewInsideTheFrame_withEqualScales() throws {
        // A wide, flat cloud: x spans 10, y spans 1; equal scales keep the y spread 10 times smaller.
        let points: [Float] = [-5, 0, 5, 1, 0, 0.5, 2, 0.25]
        let root = try render([ScatterPlot.PointSet(label: "flat", points: points)])
        let frame = try #require(root.descendants(withClass: "plot-frame").first)
        let (left, top) = (try #require(frame.number("x")), try #require(frame.number("y")))
        let (width, height) = (try #require(frame.number("width")), try #require(frame.number("height")))
        #expect(width == height)
        let circles = root.descendants(withClass: "point-set")[0].descendants(named: "circle")
        let xs = circles.compactMap { $0.number("cx") }, ys = circles.compactMap { $0.number("cy") }
        #expect(xs.count == 4 && ys.count == 4)
        #expect(xs.allSatisfy { $0 > left && $0 < left + width } && ys.allSatisfy { $0 > top && $0 < top + height })
        let xSpread = xs.max()! - xs.min()!, ySpread = ys.max()! - ys.min()!
        #expect(xSpread > 0.9 * width)
        #expect(abs(xSpread / ySpread - 10) < 0.1, "x spread \(xSpread), y spread \(ySpread)")
        // y grows upwards: the point at y = 1 is drawn highest.
        #expect(ys[1] == ys.min())
    }

    @Test func emptySets_stillRender() throws {
        let root = try render([ScatterPlot.PointSet(label: "none", points: [])])
        #expect(root.descendants(named: "circle").isEmpty)
        #expect(root.descendants(withClass: "plot-frame").count == 1)
    }
}
