/// Accumulates SVG markup with escaped text and deterministic number formatting.
struct SVGMarkup {
    private(set) var text = ""

    /// Escapes text for use in XML character data and attribute values.
    ///
    /// Characters that XML 1.0 forbids outright (most C0 controls) are replaced, because a single
    /// stray control character in a series label would make the whole document unreadable.
    static func escape(_ raw: String) -> String {
        var result = ""
        result.reserveCapacity(raw.utf8.count)
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result += " "
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// Formats a coordinate or length with at most two decimals.
    static func number(_ value: Double) -> String {
        NumberText.fixed(value, decimals: 2)
    }

    /// Appends a line of raw markup.
    mutating func raw(_ line: String) {
        text += line
        text += "\n"
    }

    /// Appends a `<text>` element; `attributes` must already be valid markup.
    mutating func label(
        _ content: String, x: Double, y: Double, attributes: String = "", tooltip: String? = nil
    ) {
        var element = "<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\""
        if !attributes.isEmpty {
            element += " " + attributes
        }
        element += ">"
        if let tooltip {
            element += "<title>\(Self.escape(tooltip))</title>"
        }
        element += Self.escape(content) + "</text>"
        raw(element)
    }

    /// Appends a straight line segment.
    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, attributes: String) {
        raw(
            "<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\""
                + " y2=\"\(Self.number(y2))\" \(attributes)/>")
    }

    /// Appends a rectangle.
    mutating func rect(x: Double, y: Double, width: Double, height: Double, attributes: String) {
        raw(
            "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(width))\""
                + " height=\"\(Self.number(height))\" \(attributes)/>")
    }
}
