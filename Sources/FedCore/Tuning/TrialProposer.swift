/// Chooses the configuration of each trial of a tuning study: Bayesian optimisation, random search
/// or a grid, on the same search space and budget.
///
/// Proposals are a pure function of (seed, trial index, earlier trials' points and values), so a
/// study is reproducible and can resume from its recorded trials. A failed trial (value nil) keeps
/// its point out of the surrogate but still counts against the budget.
public struct TrialProposer: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case bo
        case random
        case grid
    }

    public let space: SearchSpace
    public let method: Method
    public let seed: UInt64
    /// Latin-hypercube points before the surrogate takes over (Bayesian optimisation only).
    public let initialPoints: Int
    public let budget: Int

    public init(space: SearchSpace, method: Method, seed: UInt64, budget: Int, initialPoints: Int = 5) {
        self.space = space
        self.method = method
        self.seed = seed
        self.budget = budget
        self.initialPoints = initialPoints
    }

    /// The unit-cube point of trial `index` (0-based), given the earlier trials.
    public func propose(index: Int, history: [(point: [Double], value: Double?)]) -> [Double] {
        precondition(index == history.count, "trial \(index) proposed after \(history.count) trials")
        switch method {
        case .random:
            var rng = RNGStream(seed: seed, purpose: .tuning, round: UInt64(index))
            return space.project((0..<space.encodedWidth).map { _ in rng.nextUnitDouble() })
        case .grid:
            return gridPoints()[index % max(gridPoints().count, 1)]
        case .bo:
            let observed = history.compactMap { trial in trial.value.map { (trial.point, $0) } }
            if index < initialPoints || observed.count < 2 { return latinHypercube()[min(index, initialPoints - 1)] }
            return maximiseExpectedImprovement(observed, index: index, tried: history.map(\.point))
        }
    }

    /// `initialPoints` Latin-hypercube points: each coordinate's strata visited once, in a seeded order.
    func latinHypercube() -> [[Double]] {
        var rng = RNGStream(seed: seed, purpose: .tuning, round: 1 << 32)
        let n = max(initialPoints, 1)
        var columns = [[Double]]()
        for _ in 0..<space.encodedWidth {
            var strata = Array(0..<n)
            rng.shuffle(&strata)
            columns.append(strata.map { (Double($0) + rng.nextUnitDouble()) / Double(n) })
        }
        return (0..<n).map { i in space.project(columns.map { $0[i] }) }
    }

    /// A coarse grid: levels per dimension chosen so the grid holds at least `budget` points (choices
    /// and lists at their own values), visited in a seeded order so a short budget samples it evenly.
    func gridPoints() -> [[Double]] {
        let continuous = space.dimensions.filter { if case .uniform = $0 { return true }; if case .logUniform = $0 { return true }; return false }.count
        let fixed = space.dimensions.reduce(1) { product, dimension -> Int in
            switch dimension {
            case let .values(values): return product * values.count
            case let .choice(options): return product * options.count
            default: return product
            }
        }
        var levels = 2
        while continuous > 0 && fixed * Int(powInt(levels, continuous)) < budget { levels += 1 }
        var axes = [[[Double]]]()  // per dimension, its encoded alternatives
        for dimension in space.dimensions {
            switch dimension {
            case .uniform, .logUniform: axes.append((0..<levels).map { [Double($0) / Double(levels - 1)] })
            case let .values(values): axes.append((0..<values.count).map { [(Double($0) + 0.5) / Double(values.count)] })
            case let .choice(options): axes.append((0..<options.count).map { k in (0..<options.count).map { $0 == k ? 1.0 : 0.0 } })
            }
        }
        var points: [[Double]] = [[]]
        for axis in axes { points = points.flatMap { prefix in axis.map { prefix + $0 } } }
        var rng = RNGStream(seed: seed, purpose: .tuning, round: 2 << 32)
        rng.shuffle(&points)
        return points
    }

    func powInt(_ base: Int, _ exponent: Int) -> Int { (0..<exponent).reduce(1) { product, _ in product * base } }

    /// Expected improvement over 5,000 random points plus 20 perturbations of each of the 5 best
    /// observed points, every candidate projected first; an already tried point is never proposed.
    func maximiseExpectedImprovement(_ observed: [([Double], Double)], index: Int, tried: [[Double]]) -> [Double] {
        var rng = RNGStream(seed: seed, purpose: .tuning, round: UInt64(index))
        let gp = GaussianProcess.fit(inputs: observed.map(\.0), outputs: observed.map(\.1), rng: &rng)
        let best = observed.map(\.1).max()!
        var candidates = [[Double]]()
        for _ in 0..<5_000 { candidates.append((0..<space.encodedWidth).map { _ in rng.nextUnitDouble() }) }
        for (point, _) in observed.sorted(by: { $0.1 > $1.1 }).prefix(5) {
            for _ in 0..<20 { candidates.append(point.map { $0 + rng.nextGaussian() * 0.1 }) }
        }
        let triedSet = Set(tried.map { $0.map { ($0 * 1e9).rounded() } })
        var choice = space.project(candidates[0]), choiceScore = -Double.infinity
        for candidate in candidates {
            let point = space.project(candidate)
            if triedSet.contains(point.map { ($0 * 1e9).rounded() }) { continue }
            let (mean, variance) = gp.predict(point)
            let score = Self.expectedImprovement(mean: mean, deviation: variance.squareRoot(), best: best,
                                                 margin: 0.01 * gp.outputScale)
            if score > choiceScore { (choice, choiceScore) = (point, score) }
        }
        return choice
    }

    /// EI for maximisation: (μ − y⁺ − ξ) Φ(Z) + s φ(Z), Z = (μ − y⁺ − ξ) / s.
    public static func expectedImprovement(mean: Double, deviation s: Double, best: Double, margin xi: Double) -> Double {
        let gain = mean - best - xi
        guard s > 1e-12 else { return max(gain, 0) }
        let z = gain / s
        let cdf = 0.5 * libmErfc(-z / 2.0.squareRoot())
        let pdf = libmExp(-0.5 * z * z) / (2 * Double.pi).squareRoot()
        return gain * cdf + s * pdf
    }
}
