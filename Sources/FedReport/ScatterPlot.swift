/// Renders sets of 2-D points as one standalone SVG scatter plot.
///
/// Both axes share one scale and span, so shapes keep their proportions (a ring of modes stays a
/// ring). The view covers every finite point of every set, however far out: a generator that
/// scatters points widely should show it rather than have them cut off.
public enum ScatterPlot {
    /// One group of points, drawn in one colour.
    public struct PointSet: Sendable {
        /// The name shown in the legend.
        public var label: String
        /// Flat [n, 2]: x then y of each point. Points with a non-finite coordinate are not drawn.
        public var points: [Float]
        /// Marker radius in pixels.
        public var radius: Double

        public init(label: String, points: [Float], radius: Double = 2) {
            precondition(points.count % 2 == 0, "points are [n, 2]")
            self.label = label
            self.points = points
            self.radius = radius
        }

        /// The drawable points.
        var finitePoints: [(x: Double, y: Double)] {
            stride(from: 0, to: points.count, by: 2).compactMap { i in
                let (x, y) = (Double(points[i]), Double(points[i + 1]))
                return x.isFinite && y.isFinite ? (x, y) : nil
            }
        }
    }

    /// The SVG document: the sets drawn in order (later sets on top), each as a `<g class="point-set">`
    /// of `<circle>` markers, with axes, grid and a legend giving each set's drawn point count.
    ///
    /// The output depends only on the arguments, so the same input always yields the same bytes.
    public static func render(title: String, sets: [PointSet], xLabel: String = "x", yLabel: String = "y") -> String {
        let drawable = sets.map(\.finitePoints)
        let all = drawable.joined()
        let (xs, ys) = (all.map(\.x), all.map(\.y))
        // A square view around the centre of the data, 6 % larger than the wider of the two spans.
        let (centreX, centreY) = ((xs.min() ?? 0) / 2 + (xs.max() ?? 0) / 2, (ys.min() ?? 0) / 2 + (ys.max() ?? 0) / 2)
        let span = max((xs.max() ?? 0) - (xs.min() ?? 0), (ys.max() ?? 0) - (ys.min() ?? 0))
        let half = span > 0 ? span / 2 * 1.06 : 1
        let xRange = (centreX - half)...(centreX + half), yRange = (centreY - half)...(centreY + half)
        func px(_ x: Double) -> Double { plotLeft + (x - xRange.lowerBound) / (2 * half) * plotSide }
        func py(_ y: Double) -> Double { plotTop + plotSide - (y - yRange.lowerBound) / (2 * half) * plotSide }

        var markup = SVGMarkup()
        markup.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        markup.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(figureWidth)\" height=\"\(figureHeight)\""
            + " viewBox=\"0 0 \(figureWidth) \(figureHeight)\" font-family=\"Helvetica, Arial, sans-serif\">")
        markup.raw("<title>\(SVGMarkup.escape(title))</title>")
        markup.raw("<rect x=\"0\" y=\"0\" width=\"\(figureWidth)\" height=\"\(figureHeight)\" fill=\"#ffffff\"/>")
        markup.label(title, x: Double(figureWidth) / 2, y: 32,
                     attributes: "class=\"chart-title\" text-anchor=\"middle\" font-size=\"18\" font-weight=\"bold\" fill=\"#111111\"")
        markup.rect(x: plotLeft, y: plotTop, width: plotSide, height: plotSide, attributes: "fill=\"#fcfcfd\" stroke=\"none\"")

        // Grid and tick labels at 1-2-5 steps inside the view (same step on both axes: same span).
        let tickText = "class=\"tick-label\" font-size=\"11\" fill=\"#333333\""
        for value in ticks(xRange) {
            let x = px(value)
            markup.line(x1: x, y1: plotTop, x2: x, y2: plotTop + plotSide, attributes: "stroke=\"#dcdce0\" stroke-width=\"1\"")
            markup.label(AxisTicks.label(value, format: .plain), x: x, y: plotTop + plotSide + 18,
                         attributes: "text-anchor=\"middle\" " + tickText)
        }
        for value in ticks(yRange) {
            let y = py(value)
            markup.line(x1: plotLeft, y1: y, x2: plotLeft + plotSide, y2: y, attributes: "stroke=\"#dcdce0\" stroke-width=\"1\"")
            markup.label(AxisTicks.label(value, format: .plain), x: plotLeft - 8, y: y + 4,
                         attributes: "text-anchor=\"end\" " + tickText)
        }

        for (index, (set, points)) in zip(sets, drawable).enumerated() {
            markup.raw("<g class=\"point-set\" fill=\"\(ChartPalette.colour(at: index))\" fill-opacity=\"0.7\">")
            markup.raw("<title>\(SVGMarkup.escape(set.label))</title>")
            let r = SVGMarkup.number(set.radius)
            for point in points {
                markup.raw("<circle cx=\"\(SVGMarkup.number(px(point.x)))\" cy=\"\(SVGMarkup.number(py(point.y)))\" r=\"\(r)\"/>")
            }
            markup.raw("</g>")
        }
        markup.rect(x: plotLeft, y: plotTop, width: plotSide, height: plotSide,
                    attributes: "class=\"plot-frame\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"")
        markup.label(xLabel, x: plotLeft + plotSide / 2, y: plotTop + plotSide + 40,
                     attributes: "class=\"axis-label\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\"")
        let middle = plotTop + plotSide / 2
        markup.label(yLabel, x: 22, y: middle, attributes: "class=\"axis-label\" transform=\"rotate(-90 22 \(SVGMarkup.number(middle)))\""
            + " text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\"")

        // Legend: swatch (a rectangle, so circles count points only), label and drawn count.
        let legendLeft = plotLeft + plotSide + 20
        markup.raw("<g class=\"legend\">")
        for (index, (set, points)) in zip(sets, drawable).enumerated() {
            let y = plotTop + 14 + Double(index) * 20
            markup.rect(x: legendLeft, y: y - 5, width: 10, height: 10, attributes: "fill=\"\(ChartPalette.colour(at: index))\"")
            let hidden = set.points.count / 2 - points.count
            let note = hidden > 0 ? "\(points.count), \(hidden) not finite" : "\(points.count)"
            markup.label("\(set.label) (\(note))", x: legendLeft + 16, y: y + 4,
                         attributes: "class=\"legend-label\" font-size=\"12\" fill=\"#222222\"")
        }
        markup.raw("</g>")
        markup.raw("</svg>")
        return markup.text
    }

    /// The 1-2-5 ticks of `range` that lie inside it.
    static func ticks(_ range: ClosedRange<Double>) -> [Double] {
        let slack = (range.upperBound - range.lowerBound) * 1e-9
        return AxisTicks.linear(min: range.lowerBound, max: range.upperBound)
            .filter { $0 >= range.lowerBound - slack && $0 <= range.upperBound + slack }
    }

    private static let plotLeft = 70.0
    private static let plotTop = 56.0
    private static let plotSide = 560.0
    private static let figureWidth = 900
    private static let figureHeight = 680
}
