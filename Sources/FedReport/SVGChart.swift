/// Renders line charts as standalone SVG documents without external dependencies.
///
/// Panels are stacked vertically and share one plot width, so their horizontal axes line up.
/// Each panel has a frame, grid, ticks, axis captions, one line per series and a legend on the right.
public enum SVGChart {
    /// Renders the panels into one standalone SVG document (UTF-8 text, with xmlns, width/height and viewBox).
    ///
    /// The output depends only on the arguments, so the same input always yields the same bytes.
    ///
    /// - Parameters:
    ///   - title: The heading of the whole figure.
    ///   - panels: The plots, drawn top to bottom.
    ///   - width: The figure width in pixels; values below 480 are raised to 480.
    ///   - panelHeight: The height of each panel in pixels; values below 200 are raised to 200.
    public static func render(
        title: String, panels: [ChartPanel], width: Int = 1000, panelHeight: Int = 380
    ) -> String {
        let figureWidth = max(width, 480)
        let bandHeight = max(panelHeight, 200)
        let contentHeight = panels.isEmpty ? emptyNoteHeight : panels.count * bandHeight
        let figureHeight = titleHeight + contentHeight + bottomPadding
        let legend = LegendMetrics(panels: panels, figureWidth: Double(figureWidth))

        var markup = SVGMarkup()
        markup.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        markup.raw(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(figureWidth)\" height=\"\(figureHeight)\""
                + " viewBox=\"0 0 \(figureWidth) \(figureHeight)\" font-family=\"Helvetica, Arial, sans-serif\">")
        markup.raw("<title>\(SVGMarkup.escape(title))</title>")
        markup.raw("<rect x=\"0\" y=\"0\" width=\"\(figureWidth)\" height=\"\(figureHeight)\" fill=\"#ffffff\"/>")
        markup.label(
            title, x: Double(figureWidth) / 2, y: 32,
            attributes: "class=\"chart-title\" text-anchor=\"middle\" font-size=\"20\" font-weight=\"bold\""
                + " fill=\"#111111\"")

        if panels.isEmpty {
            markup.label(
                "no panels to show", x: Double(figureWidth) / 2, y: Double(titleHeight) + 36,
                attributes: "text-anchor=\"middle\" font-size=\"14\" fill=\"#777777\"")
        }
        for (index, panel) in panels.enumerated() {
            let frame = PanelFrame(
                index: index, top: Double(titleHeight + index * bandHeight), width: Double(figureWidth),
                height: Double(bandHeight), legendWidth: legend.width)
            SVGPanelRenderer(panel: panel, frame: frame, legend: legend).draw(into: &markup)
        }
        markup.raw("</svg>")
        return markup.text
    }

    /// Height of the band holding the figure title.
    private static let titleHeight = 48
    /// Height of the note shown when there are no panels.
    private static let emptyNoteHeight = 60
    /// Space below the last panel.
    private static let bottomPadding = 8
}

/// Series colours, chosen to stay distinguishable from each other and on white; they repeat after ten series.
enum ChartPalette {
    static let colours = [
        "#1f5fbf", "#e8730c", "#2a9d3a", "#d62c2c", "#7e4fc2",
        "#8c5a2b", "#d9489a", "#5f6670", "#9aa51d", "#1aa3b8",
    ]

    /// The colour of the series at `index` within its panel.
    static func colour(at index: Int) -> String {
        colours[index % colours.count]
    }
}

/// Legend column size, shared by all panels so that their plots have equal widths.
struct LegendMetrics {
    /// Approximate advance of one character at the legend font size; SVG offers no text measurement.
    static let characterWidth = 6.8
    /// Space before the label text: the colour swatch and gaps.
    static let swatchWidth = 34.0

    let width: Double
    let maxCharacters: Int

    /// Sizes the column for the longest label, within limits that keep the plot dominant.
    init(panels: [ChartPanel], figureWidth: Double) {
        let longest = panels.flatMap(\.series).map(\.label.count).max() ?? 0
        let wanted = Self.swatchWidth + Double(longest) * Self.characterWidth + 12
        width = min(max(wanted, 120), figureWidth * 0.3)
        maxCharacters = max(4, Int((width - Self.swatchWidth - 12) / Self.characterWidth))
    }

    /// Shortens a label to fit the legend column, marking the cut with an ellipsis.
    func fitted(_ label: String) -> String {
        guard label.count > maxCharacters else {
            return label
        }
        return String(label.prefix(maxCharacters - 1)) + "\u{2026}"
    }
}
