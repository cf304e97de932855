import Foundation
import Testing

@testable import FedReport

@Suite struct AxisTicksTests {
    static let ranges: [(Double, Double)] = [
        (0, 1), (0, 100), (-5, 5), (-123.4, -0.5), (1e-6, 3e-6), (-2e-6, 7e-6), (0, 1e9),
        (1e9, 1.3e9), (1e9, 4e9), (3, 3), (0, 0), (-7, -7), (1e-7, 1e-7), (0.1, 0.3), (0.3, 0.7),
        (17, 83), (5, 1), (0.001, 1000), (0.9999, 1.0001), (-1e9, 1e9), (2.5, 2.5000001), (1, 200),
        (12345.678, 12399.1), (-0.004, 0.0031), (99, 101), (1e12, 1e12 + 1),
    ]

    @Test(arguments: ranges)
    func linearTicksAreNiceAndCoverRange(low: Double, high: Double) throws {
        let ticks = AxisTicks.linear(min: low, max: high)
        try checkNiceTicks(ticks, covering: min(low, high), max(low, high))
    }

    @Test func linearTicksOnPseudoRandomRanges() throws {
        // A fixed linear congruential sequence gives many varied ranges while staying reproducible.
        var state: UInt64 = 12345
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        for _ in 0..<300 {
            let scale = pow(10, (next() * 24).rounded(.down) - 12)
            let a = (next() * 2 - 1) * scale
            let b = a + next() * scale * (next() < 0.5 ? 0.01 : 1)
            let targetCount = 4 + Int(next() * 6)
            let ticks = AxisTicks.linear(min: a, max: b, targetCount: targetCount)
            try checkNiceTicks(ticks, covering: a, b, maxCount: targetCount + 1)
        }
    }

    @Test func linearTicksHaveExactDecimalValues() {
        #expect(AxisTicks.linear(min: 0, max: 1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(AxisTicks.linear(min: 0, max: 100) == [0, 20, 40, 60, 80, 100])
        #expect(AxisTicks.linear(min: 0.1, max: 0.3) == [0.1, 0.15, 0.2, 0.25, 0.3])
        #expect(AxisTicks.linear(min: 1, max: 5) == [1, 2, 3, 4, 5])
    }

    @Test func linearTicksSurviveNonFiniteInput() throws {
        try checkNiceTicks(AxisTicks.linear(min: .nan, max: 3), covering: 0, 1)
        try checkNiceTicks(AxisTicks.linear(min: -.infinity, max: .infinity), covering: 0, 1)
    }

    @Test func logTicksArePowersOfTenCoveringRange() {
        #expect(AxisTicks.log10(min: 1, max: 1000) == [1, 10, 100, 1000])
        #expect(AxisTicks.log10(min: 0.003, max: 0.5) == [0.001, 0.01, 0.1, 1])
        #expect(AxisTicks.log10(min: 50, max: 50) == [10, 100])
        #expect(AxisTicks.log10(min: 100, max: 100) == [10, 100, 1000])
        #expect(AxisTicks.log10(min: -5, max: 0) == [1, 10])
        #expect(AxisTicks.log10(min: -5, max: 20) == [10, 100])
        for (low, high) in [(1e-9, 3e4), (2e-300, 5e300), (0.7, 1.3), (4e5, 9e8)] {
            let ticks = AxisTicks.log10(min: low, max: high)
            #expect(ticks.count >= 2 && ticks.count <= 12, "\(ticks)")
            #expect(ticks.first.map { $0 <= low } == true)
            #expect(ticks.last.map { $0 >= high } == true)
            for tick in ticks {
                let exponent = log10(tick)
                #expect(abs(exponent - exponent.rounded()) < 1e-9, "\(tick) is not a power of ten")
            }
        }
    }

    @Test func plainLabelsAreCompact() {
        let cases: [(Double, String)] = [
            (0, "0"), (0.9, "0.9"), (1e-05, "1e-05"), (250, "250"), (0.1 + 0.2, "0.3"), (-2.5, "-2.5"),
            (1.5e9, "1.5e+09"), (2e-7, "2e-07"), (123456, "123456"), (1e6, "1e+06"), (0.0001, "0.0001"),
            (-0.0, "0"), (1e100, "1e+100"), (9.9999999e8, "1e+09"),
        ]
        for (value, expected) in cases {
            #expect(AxisTicks.label(value, format: .plain) == expected, "label of \(value)")
        }
    }

    @Test func byteLabelsUseDecimalUnits() {
        let cases: [(Double, String)] = [
            (0, "0"), (512, "512 B"), (1500, "1.5 KB"), (2e7, "20 MB"), (1.2e9, "1.2 GB"),
            (1000, "1 KB"), (999_999, "1 MB"), (1e12, "1 TB"), (250_000, "250 KB"), (-3000, "-3 KB"),
        ]
        for (value, expected) in cases {
            #expect(AxisTicks.label(value, format: .bytes) == expected, "label of \(value)")
        }
    }

    /// Checks covering, even 1-2-5 spacing and a sensible count.
    private func checkNiceTicks(
        _ ticks: [Double], covering low: Double, _ high: Double, maxCount: Int = 10,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try #require(ticks.count >= 3 && ticks.count <= maxCount, "count of \(ticks)", sourceLocation: sourceLocation)
        let step = ticks[1] - ticks[0]
        try #require(step > 0, sourceLocation: sourceLocation)
        let tolerance = step * 1e-6
        #expect(ticks[0] <= low + tolerance, "\(ticks) starts above \(low)", sourceLocation: sourceLocation)
        #expect(
            ticks[ticks.count - 1] >= high - tolerance, "\(ticks) ends below \(high)", sourceLocation: sourceLocation)
        for (a, b) in zip(ticks, ticks.dropFirst()) {
            #expect(abs((b - a) - step) <= tolerance, "uneven \(ticks)", sourceLocation: sourceLocation)
        }
        let mantissa = step / pow(10, floor(log10(step)))
        let isNice = [1.0, 2, 5, 10].contains { abs(mantissa - $0) < 1e-6 }
        #expect(isNice, "step \(step) in \(ticks)", sourceLocation: sourceLocation)
    }
}
