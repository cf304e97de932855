import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// The regularisation-tuning problem's exact oracles against central differences.
@Suite struct RegularizationTuningTests {
    static let d = 4
    static let problem = RegularizationTuning(inputDimension: d)

    static func data() -> Dataset {
        var rng = RNGStream(seed: 21, purpose: .custom)
        let count = 30
        let features = (0..<(count * d)).map { _ in Float(rng.nextGaussian()) }
        let labels = (0..<count).map { _ in Int32(rng.nextInt(below: 2)) }
        return Dataset(features: features, labels: labels, dimension: d, classCount: 2)
    }

    static func point() -> [Float] {
        var rng = RNGStream(seed: 22, purpose: .custom)
        return (0..<(2 * d + 1)).map { _ in Float(0.5 * rng.nextGaussian()) }
    }

    static func loss(_ level: BilevelLevel, _ parameters: [Float]) -> Double {
        var rng = RNGStream(seed: 0, purpose: .custom)
        return problem.gradient(level, parameters: parameters, rows: Array(0..<30), data: data(), rng: &rng).loss
    }

    @Test(arguments: [BilevelLevel.lower, .upper])
    func gradient_matchesCentralDifferencesOfTheLoss(level: BilevelLevel) {
        let x = Self.point()
        var rng = RNGStream(seed: 0, purpose: .custom)
        let analytic = Self.problem.gradient(level, parameters: x, rows: Array(0..<30), data: Self.data(), rng: &rng).gradient
        #expect(analytic.count == Self.problem.upperCount + Self.problem.lowerCount)
        for i in x.indices {
            let h: Float = 1e-2
            var plus = x, minus = x
            plus[i] += h
            minus[i] -= h
            let step = Double(plus[i]) - Double(minus[i])
            let numeric = (Self.loss(level, plus) - Self.loss(level, minus)) / step
            #expect(abs(numeric - Double(analytic[i])) <= 1e-3 * max(1, abs(numeric)), "\(level) coordinate \(i)")
        }
        if level == .upper { #expect(analytic[0..<Self.d].allSatisfy { $0 == 0 }, "f does not depend on x") }
    }

    @Test func secondOrder_matchesCentralDifferencesOfTheLowerGradient() {
        let x = Self.point()
        var rng = RNGStream(seed: 23, purpose: .custom)
        let v = (0..<(Self.d + 1)).map { _ in Float(rng.nextGaussian()) }
        var silent = RNGStream(seed: 0, purpose: .custom)
        let exact = Self.problem.lowerSecondOrder(parameters: x, rows: Array(0..<30), data: Self.data(), direction: v, rng: &silent)
        let e = 1e-2
        var plus = x, minus = x
        for k in 0..<(Self.d + 1) {
            plus[Self.d + k] = Float(Double(x[Self.d + k]) + e * Double(v[k]))
            minus[Self.d + k] = Float(Double(x[Self.d + k]) - e * Double(v[k]))
        }
        let high = Self.problem.gradient(.lower, parameters: plus, rows: Array(0..<30), data: Self.data(), rng: &silent).gradient
        let low = Self.problem.gradient(.lower, parameters: minus, rows: Array(0..<30), data: Self.data(), rng: &silent).gradient
        for k in 0..<(Self.d + 1) {
            let numeric = Double(high[Self.d + k] - low[Self.d + k]) / (2 * e)
            #expect(abs(numeric - Double(exact.hvp[k])) <= 2e-3 * max(1, abs(numeric)), "HVP \(k)")
        }
        for k in 0..<Self.d {
            let numeric = Double(high[k] - low[k]) / (2 * e)
            #expect(abs(numeric - Double(exact.jvp[k])) <= 2e-3 * max(1, abs(numeric)), "JVP \(k)")
        }
    }
}
