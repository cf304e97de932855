/// How values along an axis map to positions.
public enum AxisScale: Sendable {
    /// Positions are proportional to values.
    case linear
    /// Positions are proportional to the base-10 logarithm of values; non-positive values are not drawn.
    case log10
}

/// How tick labels along an axis are printed.
public enum TickFormat: Sendable {
    /// Compact decimal or exponent notation, such as `0.9`, `250` or `1e-05`.
    case plain
    /// Data sizes with decimal (SI) units, such as `512 B`, `1.5 KB` or `20 MB`.
    case bytes
}

/// One line in a chart panel.
public struct ChartSeries: Sendable {
    /// The name shown in the legend.
    public var label: String
    /// Horizontal coordinates, paired by index with `ys`.
    public var xs: [Double]
    /// Vertical coordinates; NaN or infinite points are skipped and the line breaks there.
    public var ys: [Double]

    /// Creates a series. If the arrays differ in length, the extra values are ignored.
    ///
    /// - Parameters:
    ///   - label: The name shown in the legend.
    ///   - xs: Horizontal coordinates.
    ///   - ys: Vertical coordinates.
    public init(label: String, xs: [Double], ys: [Double]) {
        self.label = label
        self.xs = xs
        self.ys = ys
    }
}

/// One plot with its own axes, drawn as part of an `SVGChart`.
public struct ChartPanel: Sendable {
    /// The heading above the plot.
    public var title: String
    /// The caption under the horizontal axis.
    public var xLabel: String
    /// The caption beside the vertical axis.
    public var yLabel: String
    /// The scale of the horizontal axis.
    public var xScale: AxisScale
    /// The scale of the vertical axis.
    public var yScale: AxisScale
    /// How horizontal tick labels print; vertical tick labels always use `.plain`.
    public var xFormat: TickFormat
    /// The lines drawn in this panel, in legend order.
    public var series: [ChartSeries]

    /// Creates a panel.
    ///
    /// - Parameters:
    ///   - title: The heading above the plot.
    ///   - xLabel: The caption under the horizontal axis.
    ///   - yLabel: The caption beside the vertical axis.
    ///   - series: The lines to draw.
    ///   - xScale: The scale of the horizontal axis.
    ///   - yScale: The scale of the vertical axis.
    ///   - xFormat: How horizontal tick labels print.
    public init(
        title: String, xLabel: String, yLabel: String, series: [ChartSeries],
        xScale: AxisScale = .linear, yScale: AxisScale = .linear, xFormat: TickFormat = .plain
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
        self.yScale = yScale
        self.xFormat = xFormat
    }
}
