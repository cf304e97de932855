import FedCore
import FedTestSupport
import Foundation
import Testing

/// The tuning machinery: LAPACK Cholesky, the Matérn-5/2 GP, Nelder–Mead, expected improvement, the
/// search-space encoding, and Bayesian optimisation against random search on a known function.
@Suite struct BayesianOptimizationTests {
    @Test func cholesky_solvesAKnownSystem_andRejectsAnIndefiniteMatrix() throws {
        // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]]; with x = (1, −1, 2), b = A x = (2, −1, 5).
        let factor = try #require(Cholesky([4, 2, 0, 2, 5, 1, 0, 1, 3], size: 3))
        let x = factor.solve([2, -1, 5])
        for (a, b) in zip(x, [1.0, -1, 2]) { #expect(abs(a - b) < 1e-12) }
        // det A = 4(15 − 1) − 2(6 − 0) = 44.
        #expect(abs(factor.halfLogDeterminant - 0.5 * log(44)) < 1e-12)
        // L v = b: with L = chol(A), vᵀv = bᵀA⁻¹b.
        let v = factor.solveLower([2, -1, 5])
        #expect(abs(v.reduce(0) { $0 + $1 * $1 } - zip([2.0, -1, 5], x).reduce(0) { $0 + $1.0 * $1.1 }) < 1e-12)
        #expect(Cholesky([1, 2, 2, 1], size: 2) == nil)
    }

    @Test func gaussianProcess_interpolatesItsData_andIsUncertainFarFromIt() throws {
        let xs = (0..<8).map { [Double($0) / 7] }
        let ys = xs.map { sin(6 * $0[0]) }
        let gp = try #require(GaussianProcess(inputs: xs, outputs: ys, hyperparameters: .init(lengthScales: [0.3], signalVariance: 1,
                                                                                                noiseVariance: 1e-6)))
        for (x, y) in zip(xs, ys) {
            let (mean, variance) = gp.predict(x)
            #expect(abs(mean - y) < 1e-3 && variance < 1e-3)
        }
        #expect(gp.predict([3]).variance > 0.1, "far from the data the prior variance returns")
    }

    @Test func fittedGaussianProcess_predictsASmoothFunctionBetweenItsPoints() {
        var rng = RNGStream(seed: 1, purpose: .custom)
        let xs = (0..<12).map { _ in [rng.nextUnitDouble(), rng.nextUnitDouble()] }
        func f(_ x: [Double]) -> Double { sin(3 * x[0]) + 0.5 * cos(2 * x[1]) }
        let gp = GaussianProcess.fit(inputs: xs, outputs: xs.map(f), rng: &rng)
        var worst = 0.0
        for _ in 0..<50 {
            let x = [0.2 + 0.6 * rng.nextUnitDouble(), 0.2 + 0.6 * rng.nextUnitDouble()]
            worst = max(worst, abs(gp.predict(x).mean - f(x)))
        }
        #expect(worst < 0.15, "largest error \(worst)")
    }

    @Test func nelderMead_findsTheRosenbrockMinimum() {
        let result = NelderMead.minimize({ p in 100 * pow(p[1] - p[0] * p[0], 2) + pow(1 - p[0], 2) }, from: [-1.2, 1], step: 0.5,
                                         iterations: 2_000)
        #expect(abs(result.point[0] - 1) < 1e-3 && abs(result.point[1] - 1) < 1e-3, "\(result.point)")
    }

    @Test func expectedImprovement_matchesItsClosedForm() {
        // Z = 0: EI = s φ(0) = s / √(2π).
        #expect(abs(TrialProposer.expectedImprovement(mean: 1.01, deviation: 2, best: 1, margin: 0.01) - 2 / (2 * Double.pi).squareRoot()) < 1e-12)
        // No uncertainty: the plain gain, never negative.
        #expect(TrialProposer.expectedImprovement(mean: 3, deviation: 0, best: 1, margin: 0) == 2)
        #expect(TrialProposer.expectedImprovement(mean: 0, deviation: 0, best: 1, margin: 0) == 0)
        // Z = 1 (gain 1, s 1): Φ(1) + φ(1) = 0.8413447461 + 0.2419707245.
        #expect(abs(TrialProposer.expectedImprovement(mean: 2, deviation: 1, best: 1, margin: 0) - 1.0833154706) < 1e-9)
    }

    static let space = SearchSpace([
        ("algorithm.lr", .logUniform(low: 1e-3, high: 1e-1)),
        ("algorithm.dropout", .uniform(low: 0, high: 0.7)),
        ("model.hidden", .values([16, 32, 64, 128])),
        ("model.activation", .choice(["relu", "tanh", "elu", "leaky_relu"])),
    ])

    @Test func searchSpace_decodesAndProjectsConsistently() {
        let space = Self.space
        #expect(space.encodedWidth == 7)
        let decoded = space.decode([1, 0, 0.6, 0.1, 0.9, 0.2, 0.3])
        #expect(decoded.map(\.value) == ["0.1", "0", "64", "tanh"])
        let projected = space.project([0.5, 1.4, 0.6, 0.1, 0.9, 0.2, 0.3])
        #expect(projected == [0.5, 1, 0.625, 0, 1, 0, 0])
        #expect(space.project(projected) == projected)
        #expect(space.decode(projected).map(\.value) == space.decode([0.5, 1.4, 0.6, 0.1, 0.9, 0.2, 0.3]).map(\.value))
        #expect(space.decode([0, 0, 0, 1, 0, 0, 0])[0].value == "0.001")
    }

    @Test(arguments: TrialProposer.Method.allCases)
    func proposals_dependOnlyOnTheSeedAndHistory(method: TrialProposer.Method) {
        func study() -> [[Double]] {
            let proposer = TrialProposer(space: Self.space, method: method, seed: 11, budget: 8)
            var history = [(point: [Double], value: Double?)]()
            for index in 0..<8 {
                let point = proposer.propose(index: index, history: history)
                history.append((point, index == 3 ? nil : point.reduce(0, +)))  // trial 3 failed
            }
            return history.map(\.point)
        }
        let first = study()
        #expect(study() == first)
        #expect(first.allSatisfy { Self.space.project($0) == $0 })
        if method != .random { #expect(Set(first.map { $0.description }).count == 8, "no point proposed twice") }
    }

    /// A peak at (lr 0.3, dropout 0.7 of their ranges) worth 1, plus 0.2 for one activation.
    static func objective(_ point: [Double]) -> Double {
        let peak = exp(-8 * (pow(point[0] - 0.3, 2) + pow(point[1] - 0.7, 2)))
        return peak + (point[4] == 1 ? 0.2 : 0) + 0.05 * point[2]
    }

    @Test func bayesianOptimisation_reaches99PercentOfTheBestInFewerTrialsThanRandomSearch() {
        var wins = 0
        var report = [String]()
        for seed: UInt64 in 1...3 {
            var curves = [TrialProposer.Method: [Double]]()
            for method in [TrialProposer.Method.bo, .random] {
                let proposer = TrialProposer(space: Self.space, method: method, seed: seed, budget: 30)
                var history = [(point: [Double], value: Double?)]()
                for index in 0..<30 {
                    let point = proposer.propose(index: index, history: history)
                    history.append((point, Self.objective(point)))
                }
                curves[method] = history.map { $0.value! }
            }
            let best = curves.values.flatMap { $0 }.max()!
            func trialsToReach(_ values: [Double]) -> Int { (values.firstIndex { $0 >= 0.99 * best } ?? values.count) + 1 }
            let (bo, random) = (trialsToReach(curves[.bo]!), trialsToReach(curves[.random]!))
            report.append("seed \(seed): BO \(bo), random \(random)")
            if bo < random { wins += 1 }
        }
        print("trials to 99 % of the best: " + report.joined(separator: "; "))
        #expect(wins >= 2, "\(report)")
    }
}
