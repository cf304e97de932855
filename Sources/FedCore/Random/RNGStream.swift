/// Deterministic random streams keyed by (seed, purpose, client, round).
///
/// The determinism contract says every random draw comes from a stream derived from the
/// run seed and the draw's logical coordinates, never from a global generator. Two runs with
/// the same seed therefore draw the same numbers whatever process hosts a client and in
/// whatever order messages arrive.
///
/// The generator is xoshiro256** (Blackman & Vigna), seeded by SplitMix64 from a mix of
/// the four key words; both are tiny, fast and well studied.
public struct RNGStream: RandomNumberGenerator, Sendable {
    /// What a stream is used for; the raw value enters the key, so never renumber a case.
    public enum Purpose: UInt64, Sendable {
        case parameterInit = 1
        case dataSplit = 2
        case partition = 3
        case sampling = 4
        case localTraining = 5
        case faults = 6
        case synthetic = 7
        case evaluation = 8
        /// Hyper-parameter tuning: trial proposals and surrogate fits.
        case tuning = 9
        /// Items a recommender client trains against as negatives (client, round): the client's model
        /// step draws them, and the coordinator draws the same ones to know which item rows to send.
        case negativeSampling = 10
        case custom = 100
    }

    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Creates the stream for one logical use of randomness.
    ///
    /// - Parameters:
    ///   - seed: the run seed from the topology file.
    ///   - purpose: what the draws are for.
    ///   - client: the virtual client id, or 0 for coordinator-side draws.
    ///   - round: the round number (and attempt, folded in by the caller), or 0.
    public init(seed: UInt64, purpose: Purpose, client: UInt64 = 0, round: UInt64 = 0) {
        var mixer = SplitMix64(state: seed)
        mixer.absorb(purpose.rawValue)
        mixer.absorb(client)
        mixer.absorb(round)
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }  // the all-zero state is a fixed point
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in 0..<bound without modulo bias (Lemire's multiply-shift with rejection).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A standard normal draw (Box–Muller, one value per call so the stream's use is simple to reason about).
    public mutating func nextGaussian() -> Double {
        var u1 = nextUnitDouble()
        while u1 <= .leastNormalMagnitude { u1 = nextUnitDouble() }
        let u2 = nextUnitDouble()
        return (-2 * libmLog(u1)).squareRoot() * libmCos(2 * Double.pi * u2)
    }

    /// Two independent standard normal draws from one Box–Muller transform (cos and sin branches).
    public mutating func nextGaussianPair() -> (Double, Double) {
        var u1 = nextUnitDouble()
        while u1 <= .leastNormalMagnitude { u1 = nextUnitDouble() }
        let u2 = nextUnitDouble()
        let radius = (-2 * libmLog(u1)).squareRoot(), angle = 2 * Double.pi * u2
        return (radius * libmCos(angle), radius * libmSin(angle))
    }

    /// A Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 boosted by U^(1/shape)).
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0, "gamma shape must be positive, got \(shape)")
        if shape < 1 {
            let boost = libmPow(max(nextUnitDouble(), .leastNormalMagnitude), 1 / shape)
            return nextGamma(shape: shape + 1) * boost
        }
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double, v: Double
            repeat {
                x = nextGaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextUnitDouble()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if libmLog(max(u, .leastNormalMagnitude)) < 0.5 * x * x + d * (1 - v + libmLog(v)) {
                return d * v
            }
        }
    }

    /// A draw from the symmetric Dirichlet(alpha, ..., alpha) over `count` categories.
    public mutating func nextDirichlet(alpha: Double, count: Int) -> [Double] {
        var draws = (0..<count).map { _ in nextGamma(shape: alpha) }
        var total = 0.0
        for value in draws { total += value }
        if total <= 0 {  // every gamma underflowed (tiny alpha): put all mass on one category
            draws = [Double](repeating: 0, count: count)
            draws[nextInt(below: count)] = 1
            return draws
        }
        return draws.map { $0 / total }
    }

    /// Fisher–Yates shuffle in place.
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            if i != j { items.swapAt(i, j) }
        }
    }

    /// `k` distinct values from 0..<n, returned sorted (partial Fisher–Yates).
    public mutating func sample(_ k: Int, from n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "cannot sample \(k) of \(n)")
        var pool = Array(0..<n)
        for i in 0..<k {
            let j = i + nextInt(below: n - i)
            pool.swapAt(i, j)
        }
        return pool[0..<k].sorted()
    }
}

@inline(__always) private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

/// SplitMix64 (Steele, Lea & Flood), used only to expand keys into generator state.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Folds a key word into the state so that different keys give unrelated streams.
    mutating func absorb(_ word: UInt64) {
        state = next() ^ word
        _ = next()
    }
}
