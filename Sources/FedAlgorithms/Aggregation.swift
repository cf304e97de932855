import FedCore

/// Shared aggregation maths, written as free functions so every algorithm folds the same way.
public enum Aggregation {
    /// Sample-weighted mean of equally laid out flat vectors, folded in the order given.
    ///
    /// Callers pass updates sorted by client id; the sum runs in Double in that fixed order,
    /// so the result is bit-identical however the updates arrived.
    public static func weightedMean(_ vectors: [[Float]], weights: [Double]) -> [Float] {
        precondition(!vectors.isEmpty && vectors.count == weights.count, "need one weight per vector")
        let n = vectors[0].count
        let total = weights.reduce(0, +)
        precondition(total > 0, "weights must sum to a positive value")
        var accumulator = [Double](repeating: 0, count: n)
        accumulator.withUnsafeMutableBufferPointer { acc in
            for (vector, weight) in zip(vectors, weights) {
                precondition(vector.count == n, "vectors differ in length: \(vector.count) vs \(n)")
                let w = weight / total
                vector.withUnsafeBufferPointer { v in
                    for i in 0..<n { acc[i] += w * Double(v[i]) }
                }
            }
        }
        return accumulator.map { Float($0) }
    }

    /// Sample-weighted mean of one scalar metric over the updates that report it (NaN if none).
    public static func weightedMetric(_ key: String, in updates: [ClientUpdate]) -> Double {
        var sum = 0.0, weight = 0.0
        for update in updates {
            if let value = update.metrics[key], value.isFinite {
                sum += Double(update.numSamples) * value
                weight += Double(update.numSamples)
            }
        }
        return weight > 0 ? sum / weight : .nan
    }
}
