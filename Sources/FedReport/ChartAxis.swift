import Foundation

/// The value range, ticks and value-to-fraction mapping of one chart axis.
struct ChartAxis {
    let scale: AxisScale
    /// Tick values in data units, ascending.
    let ticks: [Double]
    /// Lower end of the axis, after the scale transform (a base-10 exponent for log axes).
    private let lower: Double
    /// Upper end of the axis, after the scale transform.
    private let upper: Double

    /// Builds an axis covering the given data range; `nil` bounds mean the axis has no data.
    init(scale: AxisScale, dataMin: Double?, dataMax: Double?) {
        self.scale = scale
        switch scale {
        case .linear:
            ticks = AxisTicks.linear(min: dataMin ?? 0, max: dataMax ?? 1)
        case .log10:
            ticks = AxisTicks.log10(min: dataMin ?? 1, max: dataMax ?? 10)
        }
        let transform = Self.transform(for: scale)
        // Ticks normally enclose the data; taking the union also covers the fallback tick sets.
        let candidatesLow = [ticks.first, dataMin].compactMap { $0 }.map(transform).filter(\.isFinite)
        let candidatesHigh = [ticks.last, dataMax].compactMap { $0 }.map(transform).filter(\.isFinite)
        let low = candidatesLow.min() ?? 0
        let high = candidatesHigh.max() ?? 1
        lower = low
        upper = high > low ? high : low + 1
    }

    /// Returns where `value` lies along the axis, 0 at the lower end and 1 at the upper end,
    /// or `nil` if the value cannot be drawn on this axis.
    func fraction(of value: Double) -> Double? {
        let transformed = Self.transform(for: scale)(value)
        guard transformed.isFinite else {
            return nil
        }
        return (transformed - lower) / (upper - lower)
    }

    /// Whether `value` can be drawn on this axis at all.
    func accepts(_ value: Double) -> Bool {
        value.isFinite && (scale == .linear || value > 0)
    }

    /// Light secondary grid values: 2...9 × 10^k between the decades of a log axis that is not too crowded.
    var minorGridValues: [Double] {
        guard scale == .log10, ticks.count >= 2, ticks.count <= 9 else {
            return []
        }
        var values: [Double] = []
        for (decade, next) in zip(ticks, ticks.dropFirst()) where next / decade < 10.5 {
            values += (2...9).map { Double($0) * decade }
        }
        return values
    }

    private static func transform(for scale: AxisScale) -> (Double) -> Double {
        switch scale {
        case .linear:
            return { $0 }
        case .log10:
            return { $0 > 0 ? Foundation.log10($0) : -.infinity }
        }
    }
}
