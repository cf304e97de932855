import FedCore
import FedTestSupport
import Testing

/// One (seed, purpose, client, round) key, printable in test names.
struct StreamKey: Sendable, CustomTestStringConvertible {
    var seed: UInt64
    var purpose: RNGStream.Purpose
    var client: UInt64
    var round: UInt64

    var stream: RNGStream { RNGStream(seed: seed, purpose: purpose, client: client, round: round) }
    var testDescription: String { "seed \(seed) \(purpose) client \(client) round \(round)" }
}

private func words(_ key: StreamKey, count: Int) -> [UInt64] {
    var rng = key.stream
    return (0..<count).map { _ in rng.next() }
}

@Suite struct RNGStreamTests {
    static let baseKey = StreamKey(seed: 42, purpose: .localTraining, client: 7, round: 3)

    @Test func next_withSameKey_repeatsTheSequence() {
        #expect(words(Self.baseKey, count: 1_000) == words(Self.baseKey, count: 1_000))
    }

    @Test(arguments: [
        StreamKey(seed: 43, purpose: .localTraining, client: 7, round: 3),
        StreamKey(seed: 42, purpose: .sampling, client: 7, round: 3),
        StreamKey(seed: 42, purpose: .localTraining, client: 8, round: 3),
        StreamKey(seed: 42, purpose: .localTraining, client: 7, round: 4),
        StreamKey(seed: 42, purpose: .localTraining, client: 3, round: 7),
    ])
    func next_withKeyDifferingInOneCoordinate_sharesNoOutputs(other: StreamKey) {
        let base = words(Self.baseKey, count: 1_000), changed = words(other, count: 1_000)
        // Unrelated 64-bit streams collide with probability ~1e-13 over this many pairs.
        #expect(Set(base).isDisjoint(with: changed))
    }

    @Test func next_onAllZeroKey_isNotStuckAtZero() {
        let values = words(StreamKey(seed: 0, purpose: .parameterInit, client: 0, round: 0), count: 100)
        #expect(Set(values).count == 100)
    }

    @Test(arguments: [2, 7, 10, 37])
    func nextInt_overManyDraws_isInRangeAndPassesChiSquare(bound: Int) {
        var rng = RNGStream(seed: 11, purpose: .custom, client: UInt64(bound))
        let draws = 100_000
        var counts = [Int](repeating: 0, count: bound)
        for _ in 0..<draws {
            let value = rng.nextInt(below: bound)
            guard value >= 0 && value < bound else {
                Issue.record("nextInt(below: \(bound)) returned \(value)")
                return
            }
            counts[value] += 1
        }
        let expected = Double(draws) / Double(bound)
        var chiSquare = 0.0
        for count in counts { chiSquare += (Double(count) - expected) * (Double(count) - expected) / expected }
        // χ² with bound−1 degrees of freedom has mean df and sd √(2df); allow 8 sd.
        let df = Double(bound - 1)
        #expect(chiSquare < df + 8 * (2 * df).squareRoot(), "χ² = \(chiSquare), df = \(df)")
    }

    @Test func nextInt_withBoundOne_isAlwaysZero() {
        var rng = RNGStream(seed: 5, purpose: .custom)
        #expect((0..<1_000).allSatisfy { _ in rng.nextInt(below: 1) == 0 })
    }

    @Test func nextInt_withBoundNotDividing2To64_hasNoModuloBias() {
        // bound = 1.5·2^62: 2^64 mod bound is large, so a plain `next() % bound` would put
        // 56% of draws below bound/2 instead of 50%.
        let bound = 3 << 61
        var rng = RNGStream(seed: 12, purpose: .custom)
        let draws = 100_000
        var below = 0, outOfRange = 0
        for _ in 0..<draws {
            let value = rng.nextInt(below: bound)
            if value < 0 || value >= bound { outOfRange += 1 }
            if value < bound / 2 { below += 1 }
        }
        #expect(outOfRange == 0)
        let fraction = Double(below) / Double(draws)
        #expect(abs(fraction - 0.5) < 0.01, "fraction below bound/2: \(fraction)")
    }

    @Test func nextUnitDouble_overManyDraws_isInUnitIntervalWithUniformMoments() {
        var rng = RNGStream(seed: 13, purpose: .custom)
        let values = (0..<100_000).map { _ in rng.nextUnitDouble() }
        #expect(values.allSatisfy { $0 >= 0 && $0 < 1 })
        // sd of the mean is √(1/12)/√n ≈ 0.0009.
        #expect(abs(Numerics.mean(values) - 0.5) < 0.005)
        #expect(abs(Numerics.variance(values) - 1.0 / 12.0) < 0.003)
    }

    @Test func nextGaussian_overManyDraws_hasStandardNormalMoments() {
        var rng = RNGStream(seed: 14, purpose: .custom)
        let values = (0..<100_000).map { _ in rng.nextGaussian() }
        #expect(values.allSatisfy { $0.isFinite })
        #expect(abs(Numerics.mean(values)) < 0.02)
        #expect(abs(Numerics.variance(values) - 1) < 0.03)
        // P(|Z| < 1) = erf(1/√2) ≈ 0.6827.
        let inside = Double(values.filter { abs($0) < 1 }.count) / Double(values.count)
        #expect(abs(inside - 0.6827) < 0.01, "fraction within one sd: \(inside)")
    }

    @Test(arguments: [0.3, 1.0, 5.0])
    func nextGamma_overManyDraws_hasMeanAndVarianceEqualToShape(shape: Double) {
        var rng = RNGStream(seed: 15, purpose: .custom)
        let n = 50_000
        let values = (0..<n).map { _ in rng.nextGamma(shape: shape) }
        #expect(values.allSatisfy { $0 >= 0 && $0.isFinite })
        // Gamma(k, 1): mean k, variance k, so the sample mean has sd √(k/n).
        let mean = Numerics.mean(values)
        #expect(abs(mean - shape) < 6 * (shape / Double(n)).squareRoot(), "mean \(mean)")
        let variance = Numerics.variance(values)
        #expect(abs(variance - shape) < 0.1 * shape, "variance \(variance)")
    }

    @Test(arguments: [0.05, 0.5, 5.0], [2, 10, 50])
    func nextDirichlet_eachDraw_isNonNegativeAndSumsToOne(alpha: Double, count: Int) {
        var rng = RNGStream(seed: 16, purpose: .custom, client: UInt64(count))
        for draw in 0..<200 {
            let shares = rng.nextDirichlet(alpha: alpha, count: count)
            #expect(shares.count == count)
            #expect(shares.allSatisfy { $0 >= 0 }, "draw \(draw)")
            #expect(abs(shares.reduce(0, +) - 1) < 1e-12, "draw \(draw)")
        }
    }

    @Test func nextDirichlet_symmetric_hasComponentMeansOneOverCount() {
        var rng = RNGStream(seed: 17, purpose: .custom)
        let count = 4, draws = 20_000
        var sums = [Double](repeating: 0, count: count)
        for _ in 0..<draws {
            for (i, share) in rng.nextDirichlet(alpha: 1, count: count).enumerated() { sums[i] += share }
        }
        // Dirichlet(1,1,1,1) component: mean 1/4, variance 3/80, so the mean's sd is ≈ 0.0014.
        for (i, sum) in sums.enumerated() {
            #expect(abs(sum / Double(draws) - 0.25) < 0.01, "component \(i)")
        }
    }

    @Test(arguments: [0, 1, 2, 5, 100])
    func shuffle_ofRange_isAPermutation(count: Int) {
        for seed: UInt64 in 1...5 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            var items = Array(0..<count)
            rng.shuffle(&items)
            #expect(items.sorted() == Array(0..<count), "seed \(seed)")
            if count == 100 { #expect(items != Array(0..<count), "seed \(seed)") }
        }
    }

    @Test func shuffle_ofThreeItems_reachesAllSixOrdersEvenly() {
        var rng = RNGStream(seed: 18, purpose: .custom)
        var counts = [[Int]: Int]()
        let draws = 60_000
        for _ in 0..<draws {
            var items = [0, 1, 2]
            rng.shuffle(&items)
            counts[items, default: 0] += 1
        }
        #expect(counts.count == 6)
        // Each order has probability 1/6: 10,000 expected, sd ≈ 91.
        for (order, count) in counts { #expect(abs(count - 10_000) < 600, "order \(order): \(count)") }
    }

    @Test(arguments: [(0, 5), (5, 5), (1, 1), (3, 10), (50, 1_000)])
    func sample_kOfN_returnsKDistinctSortedValuesInRange(k: Int, n: Int) {
        for seed: UInt64 in 1...20 {
            var rng = RNGStream(seed: seed, purpose: .sampling)
            let chosen = rng.sample(k, from: n)
            #expect(chosen.count == k, "seed \(seed)")
            #expect(Set(chosen).count == k, "seed \(seed)")
            #expect(chosen == chosen.sorted(), "seed \(seed)")
            #expect(chosen.allSatisfy { $0 >= 0 && $0 < n }, "seed \(seed)")
        }
    }

    @Test func sample_threeOfTen_includesEachValueWithProbabilityThreeTenths() {
        var rng = RNGStream(seed: 19, purpose: .sampling)
        var counts = [Int](repeating: 0, count: 10)
        let draws = 30_000
        for _ in 0..<draws { for value in rng.sample(3, from: 10) { counts[value] += 1 } }
        // Expected 9,000 per value, sd ≈ 79.
        for (value, count) in counts.enumerated() { #expect(abs(count - 9_000) < 500, "value \(value): \(count)") }
    }
}

@Suite struct GaussianPairTests {
    @Test func gaussianPair_bothOutputsAreStandardNormal_andUncorrelated() {
        var rng = RNGStream(seed: 21, purpose: .custom)
        let n = 100_000
        var sumA = 0.0, sumB = 0.0, sumAA = 0.0, sumBB = 0.0, sumAB = 0.0
        for _ in 0..<n {
            let (a, b) = rng.nextGaussianPair()
            sumA += a; sumB += b; sumAA += a * a; sumBB += b * b; sumAB += a * b
        }
        let count = Double(n)
        #expect(abs(sumA / count) < 0.02 && abs(sumB / count) < 0.02)
        #expect(abs(sumAA / count - 1) < 0.03 && abs(sumBB / count - 1) < 0.03)
        #expect(abs(sumAB / count) < 0.02, "the two outputs must be uncorrelated")
    }
}
