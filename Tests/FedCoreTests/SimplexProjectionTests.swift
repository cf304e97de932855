import FedCore
import Foundation
import Testing

@Suite struct SimplexProjectionTests {
    @Test func pointsOfTheSimplex_areFixed() {
        for point in [[1.0], [0.2, 0.3, 0.5], [0.0, 1.0, 0.0], [0.25, 0.25, 0.25, 0.25]] {
            let projected = SimplexProjection.project(point)
            for (a, b) in zip(projected, point) { #expect(abs(a - b) < 1e-12, "\(point)") }
        }
    }

    @Test func handDerivedCases() {
        // (2, 0): θ = 1 → (1, 0).   (1, 1): θ = 0.5 → (0.5, 0.5).   (0, 0, 0): θ = −1/3 → uniform.
        let cases: [([Double], [Double])] = [([2, 0], [1, 0]), ([1, 1], [0.5, 0.5]), ([0, 0, 0], [1.0 / 3, 1.0 / 3, 1.0 / 3]),
                                             ([0.5, -3, 0.9], [0.3, 0, 0.7])]
        for (input, expected) in cases {
            let projected = SimplexProjection.project(input)
            for (a, b) in zip(projected, expected) { #expect(abs(a - b) < 1e-12, "\(input) -> \(projected)") }
        }
    }

    @Test func projection_isOnTheSimplex_andNoSimplexPointIsCloser() {
        for seed in UInt64(1)...50 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            let n = 1 + rng.nextInt(below: 7)
            let u = (0..<n).map { _ in rng.nextGaussian() * 2 }
            let p = SimplexProjection.project(u)
            #expect(p.allSatisfy { $0 >= 0 } && abs(p.reduce(0, +) - 1) < 1e-12, "seed \(seed)")
            let distance = zip(p, u).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            for _ in 0..<200 {  // random simplex points (normalised exponentials) are never closer
                let raw = (0..<n).map { _ in -log(max(rng.nextUnitDouble(), 1e-300)) }
                let q = raw.map { $0 / raw.reduce(0, +) }
                let other = zip(q, u).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                #expect(other >= distance - 1e-12, "seed \(seed)")
            }
        }
    }
}
