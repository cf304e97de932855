import FedCore
import FedModels
import Testing

/// ReMix's routing maths (spec §3.3, claims §3.10.1): ordered draws without replacement, their
/// probabilities summing to one, the score function against finite differences, and the RLOO
/// estimator's unbiasedness against exact enumeration.
@Suite struct SubsetRoutingTests {
    static let logits: [Float] = [0.3, -0.8, 1.1, 0.05]

    /// Every ordered draw of k distinct indices out of n.
    static func orderedDraws(n: Int, k: Int) -> [[Int]] {
        if k == 0 { return [[]] }
        return orderedDraws(n: n, k: k - 1).flatMap { prefix in (0..<n).filter { !prefix.contains($0) }.map { prefix + [$0] } }
    }

    func q() -> [Double] { Self.logits.withUnsafeBufferPointer { SubsetRouting.softmax($0.baseAddress!, count: 4) } }

    @Test func probabilitiesOfAllOrderedDraws_sumToOne_andMatchSampledFrequencies() {
        let q = q()
        let draws = Self.orderedDraws(n: 4, k: 2)
        #expect(draws.count == 12)
        let total = draws.reduce(0.0) { $0 + libmExp(SubsetRouting.logProbability(q, ordered: $1)) }
        #expect(abs(total - 1) < 1e-12)
        var rng = RNGStream(seed: 3, purpose: .custom)
        var counts = [[Int]: Int]()
        let samples = 200_000
        for _ in 0..<samples { counts[SubsetRouting.sampleWithoutReplacement(q, k: 2, rng: &rng), default: 0] += 1 }
        for draw in draws {
            let p = libmExp(SubsetRouting.logProbability(q, ordered: draw))
            let standardError = (p * (1 - p) / Double(samples)).squareRoot()
            #expect(abs(Double(counts[draw, default: 0]) / Double(samples) - p) < 4 * standardError, "draw \(draw)")
        }
    }

    @Test func scoreFunction_matchesFiniteDifferencesOfLogQ() {
        for draw in Self.orderedDraws(n: 4, k: 3) {
            var score = [Double](repeating: 0, count: 4)
            SubsetRouting.addScore(q(), ordered: draw, into: &score)
            for b in 0..<4 {
                let h = 1e-3
                func logQ(_ shift: Double) -> Double {
                    var z = Self.logits.map(Double.init)
                    z[b] += shift
                    // Double-precision softmax of the shifted logits.
                    let top = z.max()!
                    let e = z.map { libmExp($0 - top) }, s = e.reduce(0, +)
                    return SubsetRouting.logProbability(e.map { $0 / s }, ordered: draw)
                }
                let numeric = (logQ(h) - logQ(-h)) / (2 * h)
                #expect(abs(numeric - score[b]) < 1e-6, "draw \(draw), logit \(b): \(numeric) vs \(score[b])")
            }
        }
    }

    /// Claim 1: the mean of 10^5 RLOO estimates (M = 4) matches the exact gradient of E[L] within
    /// 3 standard errors, for a fixed loss table over the 12 ordered draws (n = 4, k = 2).
    @Test func leaveOneOutEstimator_isUnbiased() {
        let q = q()
        let draws = Self.orderedDraws(n: 4, k: 2)
        var tableRNG = RNGStream(seed: 5, purpose: .custom)
        var loss = [[Int]: Double]()
        for draw in draws { loss[draw] = tableRNG.nextUnitDouble() * 3 }
        // Exact: ∇_z E[L] = Σ_J L(J) Q(J) ∇ log Q(J).
        var exact = [Double](repeating: 0, count: 4)
        for draw in draws {
            var score = [Double](repeating: 0, count: 4)
            SubsetRouting.addScore(q, ordered: draw, into: &score)
            let weight = loss[draw]! * libmExp(SubsetRouting.logProbability(q, ordered: draw))
            for b in 0..<4 { exact[b] += weight * score[b] }
        }
        var rng = RNGStream(seed: 6, purpose: .custom)
        let estimates = 100_000, m = 4
        var sum = [Double](repeating: 0, count: 4), squares = sum
        for _ in 0..<estimates {
            var losses = [Double](), scores = [[Double]]()
            for _ in 0..<m {
                let draw = SubsetRouting.sampleWithoutReplacement(q, k: 2, rng: &rng)
                var score = [Double](repeating: 0, count: 4)
                SubsetRouting.addScore(q, ordered: draw, into: &score)
                losses.append(loss[draw]!)
                scores.append(score)
            }
            let g = LeaveOneOutEstimator.gradient(losses: losses, scores: scores)
            for b in 0..<4 { sum[b] += g[b]; squares[b] += g[b] * g[b] }
        }
        for b in 0..<4 {
            let mean = sum[b] / Double(estimates)
            let standardError = ((squares[b] / Double(estimates) - mean * mean) / Double(estimates)).squareRoot()
            #expect(abs(mean - exact[b]) < 3 * standardError, "logit \(b): mean \(mean), exact \(exact[b]), SE \(standardError)")
            #expect(standardError < 0.01)
        }
        // Not vacuous: the exact gradient is far from zero.
        #expect(exact.map(abs).max()! > 0.05)
    }

    @Test func topK_prefersLargerValues_thenLowerIndices() {
        #expect(SubsetRouting.topK([0.1, 0.4, 0.4, 0.05, 0.05], k: 3) == [1, 2, 0])
        #expect(SubsetRouting.topK([0.2, 0.2, 0.2], k: 2) == [0, 1])
    }
}
