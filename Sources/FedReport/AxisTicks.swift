import Foundation

/// Tick positions and tick labels for chart axes.
public enum AxisTicks {
    /// Returns evenly spaced ticks whose step is 1, 2 or 5 times a power of ten.
    ///
    /// The first tick is at or below `min` and the last at or above `max`. When the range is empty
    /// (or too narrow to label), it is widened around its centre so that at least three ticks result.
    /// Non-finite bounds fall back to the range 0...1.
    ///
    /// - Parameters:
    ///   - min: The smallest value that must be covered.
    ///   - max: The largest value that must be covered.
    ///   - targetCount: The preferred number of ticks; the result has at most `targetCount + 1`.
    public static func linear(min: Double, max: Double, targetCount: Int = 6) -> [Double] {
        guard min.isFinite, max.isFinite else {
            return linear(min: 0, max: 1, targetCount: targetCount)
        }
        var low = Swift.min(min, max)
        var high = Swift.max(min, max)
        let centre = low / 2 + high / 2
        // A span below ~1e-12 of the values' magnitude has no readable decimal ticks, so treat it as a point.
        if high - low <= Swift.abs(centre) * 1e-12 || high - low < 1e-290 {
            let pad = Swift.abs(centre) > 1e-290 ? Swift.abs(centre) * 0.1 : 1
            low = centre - pad
            high = centre + pad
        }
        let span = high - low
        guard span.isFinite else {
            // Only reachable for ranges near the limits of Double; three ticks keep the axis drawable.
            return [low, centre, high]
        }
        let intervals = Double(Swift.max(targetCount, 3) - 1)
        let (multiplier, exponent) = niceStep(atLeast: span / intervals)
        let step = scaled(multiplier, exponent: exponent)
        // The small slack stops binary noise (0.3 / 0.1 = 2.9999999999999996) from adding an extra tick.
        let first = Foundation.floor(low / step + 1e-9)
        let last = Foundation.ceil(high / step - 1e-9)
        guard last - first <= 1000 else {
            return [low, centre, high]
        }
        return stride(from: first, through: last, by: 1).map { scaled($0 * multiplier, exponent: exponent) }
    }

    /// Returns powers of ten covering `min...max`, for a logarithmic axis.
    ///
    /// Non-positive or non-finite bounds are ignored (a fully invalid range yields `[1, 10]`). A range
    /// inside a single power of ten gets the neighbouring powers, and very wide ranges use every
    /// n-th power so that no more than about ten ticks result.
    ///
    /// - Parameters:
    ///   - min: The smallest value that must be covered.
    ///   - max: The largest value that must be covered.
    public static func log10(min: Double, max: Double) -> [Double] {
        let valid = [min, max].filter { $0.isFinite && $0 > 0 }
        guard let low = valid.min(), let high = valid.max() else {
            return [1, 10]
        }
        var lowExponent = Int(Foundation.floor(Foundation.log10(low) + 1e-9))
        var highExponent = Int(Foundation.ceil(Foundation.log10(high) - 1e-9))
        if lowExponent == highExponent {
            lowExponent -= 1
            highExponent += 1
        }
        let decades = highExponent - lowExponent
        let every = (decades + 9) / 10
        let start = Int(Foundation.floor(Double(lowExponent) / Double(every))) * every
        return stride(from: start, to: highExponent + every, by: every).map { scaled(1, exponent: $0) }
    }

    /// Formats a tick value compactly, for example `0.9`, `1e-05`, `250` or `1.5 MB`.
    ///
    /// - Parameters:
    ///   - value: The tick value.
    ///   - format: `.plain` for numbers, `.bytes` for data sizes.
    public static func label(_ value: Double, format: TickFormat) -> String {
        switch format {
        case .plain:
            return NumberText.compact(value)
        case .bytes:
            return byteLabel(value)
        }
    }

    /// Picks the smallest step of the form {1, 2, 5} × 10^exponent that is at least `raw`.
    private static func niceStep(atLeast raw: Double) -> (multiplier: Double, exponent: Int) {
        var exponent = Int(Foundation.floor(Foundation.log10(raw)))
        // log10 can land one below an exact power of ten, so correct the residual before choosing.
        var residual = raw / scaled(1, exponent: exponent)
        if residual >= 10 {
            exponent += 1
            residual /= 10
        }
        for multiplier in [1.0, 2, 5] where residual <= multiplier * (1 + 1e-12) {
            return (multiplier, exponent)
        }
        return (1, exponent + 1)
    }

    /// Returns `value × 10^exponent`, dividing for negative exponents so that results such as
    /// 3 × 10^-1 are the doubles nearest the decimal values (0.3, not 0.30000000000000004).
    private static func scaled(_ value: Double, exponent: Int) -> Double {
        if exponent >= 0 {
            return value * NumberText.powerOfTen(exponent)
        }
        let divisor = NumberText.powerOfTen(-exponent)
        guard divisor.isFinite else {
            return value * pow(10, Double(exponent))
        }
        return value / divisor
    }

    /// Formats a byte count with SI units (powers of 1000), which keep 1-2-5 ticks readable:
    /// a step of 200 000 000 bytes prints as `200 MB` rather than `190.7 MiB`.
    private static func byteLabel(_ value: Double) -> String {
        guard value.isFinite else {
            return NumberText.compact(value)
        }
        if value == 0 {
            return "0"
        }
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
        let magnitude = Swift.abs(value)
        var unit = 0
        while unit < units.count - 1 && magnitude >= pow(1000, Double(unit + 1)) {
            unit += 1
        }
        var amount = NumberText.rounded(magnitude / pow(1000, Double(unit)), decimals: 2)
        if amount >= 1000 && unit < units.count - 1 {
            unit += 1
            amount = NumberText.rounded(magnitude / pow(1000, Double(unit)), decimals: 2)
        }
        let sign = value < 0 ? "-" : ""
        return sign + NumberText.compact(amount) + " " + units[unit]
    }
}
