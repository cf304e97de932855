import FedCore

/// Small numeric helpers for tests: error measures, sample statistics and random buffers.
public enum Numerics {
    /// |a − b| / max(|a|, |b|, floor): relative error that degrades to absolute error near zero.
    public static func relativeError(_ a: Double, _ b: Double, floor: Double = 1e-12) -> Double {
        abs(a - b) / max(abs(a), abs(b), floor)
    }

    /// The largest `relativeError` over paired elements.
    public static func maxRelativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-12) -> Double {
        precondition(a.count == b.count, "arrays differ in length: \(a.count) vs \(b.count)")
        var worst = 0.0
        for i in a.indices { worst = max(worst, relativeError(a[i], b[i], floor: floor)) }
        return worst
    }

    /// Arithmetic mean in Double.
    public static func mean(_ xs: [Double]) -> Double {
        precondition(!xs.isEmpty, "mean of nothing")
        var sum = 0.0
        for x in xs { sum += x }
        return sum / Double(xs.count)
    }

    /// Population variance (divides by n), two-pass.
    public static func variance(_ xs: [Double]) -> Double {
        let mu = mean(xs)
        var sum = 0.0
        for x in xs { sum += (x - mu) * (x - mu) }
        return sum / Double(xs.count)
    }

    /// `count` draws of N(0, scale²) as Float.
    public static func gaussianFloats(count: Int, scale: Double = 1, rng: inout RNGStream) -> [Float] {
        (0..<count).map { _ in Float(rng.nextGaussian() * scale) }
    }

    /// Index of the largest value (first one on ties).
    public static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    /// The Euclidean distance between two equally long vectors, in Double.
    public static func distance(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "vectors differ in length: \(a.count) vs \(b.count)")
        var sum = 0.0
        for i in a.indices {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return sum.squareRoot()
    }

    /// A data set whose row i has features i·dimension + j (j < dimension) and the given label,
    /// so the rows of any subset or split can be traced back to the original indices.
    public static func traceableDataset(labels: [Int32], dimension: Int, classCount: Int) -> Dataset {
        var features = [Float]()
        features.reserveCapacity(labels.count * dimension)
        for row in labels.indices {
            for j in 0..<dimension { features.append(Float(row * dimension + j)) }
        }
        return Dataset(features: features, labels: labels, dimension: dimension, classCount: classCount)
    }

    /// Worst relative error of a two-player gradient against central differences (step 1e-5, Double):
    /// coordinates in `minPlayer` are checked against d(minObjective), the others against d(maxObjective)
    /// (each player's gradient is in descent form for its own objective).
    public static func worstPlayerGradientError(
        parameters: [Float], gradient: [Float], minPlayer: Range<Int>,
        minObjective: ([Double]) -> Double, maxObjective: ([Double]) -> Double
    ) -> Double {
        let e = 1e-5
        var worst = 0.0
        for i in parameters.indices {
            var plus = parameters.map(Double.init), minus = plus
            plus[i] += e
            minus[i] -= e
            let objective = minPlayer.contains(i) ? minObjective : maxObjective
            let numeric = (objective(plus) - objective(minus)) / (2 * e)
            worst = max(worst, abs(numeric - Double(gradient[i])) / max(1e-3, abs(numeric)))
        }
        return worst
    }
}
