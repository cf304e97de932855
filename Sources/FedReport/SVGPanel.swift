/// Pixel geometry of one panel band within the figure.
struct PanelFrame {
    let index: Int
    let top: Double
    let width: Double
    let height: Double
    let legendWidth: Double

    var plotLeft: Double { 84 }
    var plotRight: Double { width - legendWidth - 28 }
    var plotTop: Double { top + 40 }
    var plotBottom: Double { top + height - 58 }
    var plotWidth: Double { plotRight - plotLeft }
    var plotHeight: Double { plotBottom - plotTop }
}

/// Draws one `ChartPanel` into SVG markup.
struct SVGPanelRenderer {
    /// Series with at most this many drawable points get a marker on every point.
    static let markerLimit = 60

    private let panel: ChartPanel
    private let frame: PanelFrame
    private let legend: LegendMetrics
    /// Drawable points of each series, split into runs wherever a point had to be skipped.
    private let segments: [[[(x: Double, y: Double)]]]
    private let xAxis: ChartAxis
    private let yAxis: ChartAxis

    /// Prepares the drawable points and both axes of `panel`.
    init(panel: ChartPanel, frame: PanelFrame, legend: LegendMetrics) {
        self.panel = panel
        self.frame = frame
        self.legend = legend
        let xProbe = ChartAxis(scale: panel.xScale, dataMin: nil, dataMax: nil)
        let yProbe = ChartAxis(scale: panel.yScale, dataMin: nil, dataMax: nil)
        let runs = panel.series.map { Self.runs(of: $0, xAxis: xProbe, yAxis: yProbe) }
        let points = runs.joined().joined()
        xAxis = ChartAxis(scale: panel.xScale, dataMin: points.map(\.x).min(), dataMax: points.map(\.x).max())
        yAxis = ChartAxis(scale: panel.yScale, dataMin: points.map(\.y).min(), dataMax: points.map(\.y).max())
        segments = runs
    }

    /// Appends the panel's complete markup, wrapped in a `<g class="panel">` group.
    func draw(into markup: inout SVGMarkup) {
        markup.raw("<g class=\"panel\">")
        let clipID = "fedsim-plot-clip-\(frame.index)"
        markup.raw("<clipPath id=\"\(clipID)\">")
        markup.rect(
            x: frame.plotLeft, y: frame.plotTop, width: frame.plotWidth, height: frame.plotHeight, attributes: "")
        markup.raw("</clipPath>")
        markup.rect(
            x: frame.plotLeft, y: frame.plotTop, width: frame.plotWidth, height: frame.plotHeight,
            attributes: "fill=\"#fcfcfd\" stroke=\"none\"")
        drawGrid(into: &markup)
        drawSeries(clipID: clipID, into: &markup)
        markup.rect(
            x: frame.plotLeft, y: frame.plotTop, width: frame.plotWidth, height: frame.plotHeight,
            attributes: "class=\"plot-frame\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"")
        drawCaptions(into: &markup)
        drawLegend(into: &markup)
        markup.raw("</g>")
    }

    /// Splits a series into runs of drawable points; a skipped point ends the current run.
    private static func runs(
        of series: ChartSeries, xAxis: ChartAxis, yAxis: ChartAxis
    ) -> [[(x: Double, y: Double)]] {
        var result: [[(x: Double, y: Double)]] = []
        var current: [(x: Double, y: Double)] = []
        for (x, y) in zip(series.xs, series.ys) {
            if xAxis.accepts(x) && yAxis.accepts(y) {
                current.append((x, y))
            } else if !current.isEmpty {
                result.append(current)
                current = []
            }
        }
        if !current.isEmpty {
            result.append(current)
        }
        return result
    }

    private func pixelX(_ value: Double) -> Double? {
        xAxis.fraction(of: value).map { frame.plotLeft + $0 * frame.plotWidth }
    }

    private func pixelY(_ value: Double) -> Double? {
        yAxis.fraction(of: value).map { frame.plotBottom - $0 * frame.plotHeight }
    }

    private func drawGrid(into markup: inout SVGMarkup) {
        let minor = "stroke=\"#f0f0f2\" stroke-width=\"1\""
        for value in xAxis.minorGridValues {
            if let x = pixelX(value), x > frame.plotLeft, x < frame.plotRight {
                markup.line(x1: x, y1: frame.plotTop, x2: x, y2: frame.plotBottom, attributes: minor)
            }
        }
        for value in yAxis.minorGridValues {
            if let y = pixelY(value), y > frame.plotTop, y < frame.plotBottom {
                markup.line(x1: frame.plotLeft, y1: y, x2: frame.plotRight, y2: y, attributes: minor)
            }
        }
        let major = "stroke=\"#dcdce0\" stroke-width=\"1\""
        let tick = "stroke=\"#333333\" stroke-width=\"1\""
        let tickText = "font-size=\"11\" fill=\"#333333\""
        for value in xAxis.ticks {
            guard let x = pixelX(value) else { continue }
            markup.line(x1: x, y1: frame.plotTop, x2: x, y2: frame.plotBottom, attributes: major)
            markup.line(x1: x, y1: frame.plotBottom, x2: x, y2: frame.plotBottom + 5, attributes: tick)
            markup.label(
                AxisTicks.label(value, format: panel.xFormat), x: x, y: frame.plotBottom + 18,
                attributes: "class=\"tick-label\" text-anchor=\"middle\" " + tickText)
        }
        for value in yAxis.ticks {
            guard let y = pixelY(value) else { continue }
            markup.line(x1: frame.plotLeft, y1: y, x2: frame.plotRight, y2: y, attributes: major)
            markup.line(x1: frame.plotLeft - 5, y1: y, x2: frame.plotLeft, y2: y, attributes: tick)
            markup.label(
                AxisTicks.label(value, format: .plain), x: frame.plotLeft - 8, y: y + 4,
                attributes: "class=\"tick-label\" text-anchor=\"end\" " + tickText)
        }
    }

    private func drawSeries(clipID: String, into markup: inout SVGMarkup) {
        if segments.allSatisfy(\.isEmpty) {
            markup.label(
                "no data", x: frame.plotLeft + frame.plotWidth / 2, y: frame.plotTop + frame.plotHeight / 2,
                attributes: "text-anchor=\"middle\" font-size=\"14\" fill=\"#888888\"")
            return
        }
        for (index, runs) in segments.enumerated() where !runs.isEmpty {
            let colour = ChartPalette.colour(at: index)
            var path = ""
            var markers: [(x: Double, y: Double)] = []
            let showAllMarkers = runs.reduce(0) { $0 + $1.count } <= Self.markerLimit
            for run in runs {
                let pixels = run.compactMap { point -> (x: Double, y: Double)? in
                    guard let x = pixelX(point.x), let y = pixelY(point.y) else { return nil }
                    return (x, y)
                }
                for (offset, pixel) in pixels.enumerated() {
                    path += (offset == 0 ? (path.isEmpty ? "M" : " M") : " L")
                    path += "\(SVGMarkup.number(pixel.x)) \(SVGMarkup.number(pixel.y))"
                }
                // A lone point draws no line, so it always gets a marker to stay visible.
                if showAllMarkers || pixels.count == 1 {
                    markers += pixels
                }
            }
            markup.raw(
                "<path class=\"series\" d=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\""
                    + " stroke-linejoin=\"round\" stroke-linecap=\"round\" clip-path=\"url(#\(clipID))\"/>")
            if !markers.isEmpty {
                markup.raw("<g class=\"markers\" fill=\"\(colour)\" clip-path=\"url(#\(clipID))\">")
                for marker in markers {
                    markup.raw(
                        "<circle cx=\"\(SVGMarkup.number(marker.x))\" cy=\"\(SVGMarkup.number(marker.y))\" r=\"3\"/>")
                }
                markup.raw("</g>")
            }
        }
    }

    private func drawCaptions(into markup: inout SVGMarkup) {
        let centreX = frame.plotLeft + frame.plotWidth / 2
        let centreY = frame.plotTop + frame.plotHeight / 2
        markup.label(
            panel.title, x: centreX, y: frame.top + 26,
            attributes: "class=\"panel-title\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\""
                + " fill=\"#222222\"")
        markup.label(
            panel.xLabel, x: centreX, y: frame.plotBottom + 40,
            attributes: "class=\"axis-label\" text-anchor=\"middle\" font-size=\"13\" fill=\"#222222\"")
        let rotation = "rotate(-90 22 \(SVGMarkup.number(centreY)))"
        markup.label(
            panel.yLabel, x: 22, y: centreY,
            attributes: "class=\"axis-label\" transform=\"\(rotation)\" text-anchor=\"middle\" font-size=\"13\""
                + " fill=\"#222222\"")
    }

    private func drawLegend(into markup: inout SVGMarkup) {
        guard !panel.series.isEmpty else {
            return
        }
        let left = frame.plotRight + 16
        let rowHeight = 20.0
        let boxHeight = Double(panel.series.count) * rowHeight + 8
        markup.raw("<g class=\"legend\">")
        markup.rect(
            x: left, y: frame.plotTop, width: legend.width, height: boxHeight,
            attributes: "fill=\"#ffffff\" stroke=\"#cccccc\" stroke-width=\"1\"")
        for (index, series) in panel.series.enumerated() {
            let colour = ChartPalette.colour(at: index)
            let y = frame.plotTop + 14 + Double(index) * rowHeight
            markup.line(
                x1: left + 6, y1: y, x2: left + 28, y2: y,
                attributes: "stroke=\"\(colour)\" stroke-width=\"2.5\"")
            markup.raw(
                "<circle cx=\"\(SVGMarkup.number(left + 17))\" cy=\"\(SVGMarkup.number(y))\" r=\"3\""
                    + " fill=\"\(colour)\"/>")
            let shown = legend.fitted(series.label)
            markup.label(
                shown, x: left + LegendMetrics.swatchWidth, y: y + 4,
                attributes: "class=\"legend-label\" font-size=\"12\" fill=\"#222222\"",
                tooltip: shown == series.label ? nil : series.label)
        }
        markup.raw("</g>")
    }
}
