import Foundation

/// Locale-independent number printing shared by tick labels and SVG coordinates.
enum NumberText {
    /// Prints `value` rounded to at most `decimals` fractional digits, without trailing zeros.
    ///
    /// Used for SVG coordinates, so that identical input always produces identical bytes.
    static func fixed(_ value: Double, decimals: Int = 2) -> String {
        guard value.isFinite else {
            return "0"
        }
        let places = Swift.max(0, Swift.min(decimals, 6))
        let scale = powerOfTen(places)
        // Coordinates are clamped well inside the range where Int64 conversion cannot trap.
        let scaled = Swift.min(Swift.max(value * scale, -9e15), 9e15).rounded()
        let integer = Int64(scaled)
        if integer == 0 {
            return "0"
        }
        let magnitude = integer.magnitude
        let divisor = UInt64(scale)
        var text = String(magnitude / divisor)
        let fraction = magnitude % divisor
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: places - digits.count) + digits
            while digits.hasSuffix("0") {
                digits.removeLast()
            }
            text += "." + digits
        }
        return integer < 0 ? "-" + text : text
    }

    /// Prints `value` in plain decimal notation when it is moderate and in `1.5e+09` style otherwise.
    static func compact(_ value: Double) -> String {
        guard value.isFinite else {
            return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf")
        }
        if value == 0 {
            return "0"
        }
        let magnitude = Swift.abs(value)
        if magnitude >= 1e-4 && magnitude < 1e6 {
            // Rounding to 12 significant digits removes binary noise such as 0.30000000000000004,
            // and Swift's shortest round-trip description then prints the decimal cleanly.
            let decimals = 11 - Int(Foundation.floor(Foundation.log10(magnitude)))
            return shortest(rounded(value, decimals: decimals))
        }
        var exponent = Int(Foundation.floor(Foundation.log10(magnitude)))
        var mantissa = rounded(value / pow(10, Double(exponent)), decimals: 6)
        if Swift.abs(mantissa) >= 10 {
            exponent += 1
            mantissa = rounded(value / pow(10, Double(exponent)), decimals: 6)
        }
        let sign = exponent < 0 ? "-" : "+"
        let digits = String(exponent.magnitude)
        let paddedDigits = digits.count < 2 ? "0" + digits : digits
        return shortest(mantissa) + "e" + sign + paddedDigits
    }

    /// Exact powers of ten for small non-negative exponents.
    static func powerOfTen(_ exponent: Int) -> Double {
        pow(10, Double(exponent))
    }

    /// Rounds to `decimals` fractional digits (negative values round to tens, hundreds, ...).
    static func rounded(_ value: Double, decimals: Int) -> Double {
        let places = Swift.max(-22, Swift.min(decimals, 22))
        // Dividing by an exactly representable power of ten yields the double nearest the decimal result.
        if places >= 0 {
            let scale = powerOfTen(places)
            let result = (value * scale).rounded() / scale
            return result.isFinite ? result : value
        }
        let scale = powerOfTen(-places)
        return (value / scale).rounded() * scale
    }

    /// Swift's shortest round-trip description without a redundant `.0` suffix.
    private static func shortest(_ value: Double) -> String {
        var text = value == 0 ? "0" : value.description
        if text.hasSuffix(".0") {
            text.removeLast(2)
        }
        return text
    }
}
