/// The synthetic "MNIST-sized" classification data of benchmark W2.
///
/// Labels are uniform over `classCount`; each class has a centre drawn from N(0, centreStd²) per
/// dimension, and an example is its class centre plus N(0, 1) noise per dimension.
public enum SyntheticGaussians {
    /// Which part to generate.
    public enum Part: UInt64, Sendable { case train = 1, test = 2 }

    /// Generates `train` and `test` examples; each part has its own stream, so either can be built alone.
    public static func make(
        train: Int, test: Int, dimension: Int, classCount: Int, centreStd: Double, seed: UInt64
    ) -> DataSplit {
        DataSplit(
            train: make(.train, count: train, dimension: dimension, classCount: classCount, centreStd: centreStd, seed: seed),
            test: make(.test, count: test, dimension: dimension, classCount: classCount, centreStd: centreStd, seed: seed))
    }

    /// Generates one part (the class centres are shared by both parts).
    public static func make(
        _ part: Part, count: Int, dimension: Int, classCount: Int, centreStd: Double, seed: UInt64
    ) -> Dataset {
        var centreRNG = RNGStream(seed: seed, purpose: .synthetic)
        var centres = [Float](repeating: 0, count: classCount * dimension)
        for i in centres.indices { centres[i] = Float(centreRNG.nextGaussian() * centreStd) }
        let labels = Self.labels(part, count: count, classCount: classCount, seed: seed)
        var rng = RNGStream(seed: seed, purpose: .synthetic, round: part.rawValue)
        var features = [Float](repeating: 0, count: count * dimension)
        features.withUnsafeMutableBufferPointer { out in
            // Noise first, both Box–Muller outputs used: generating tens of millions of normals is
            // most of the start-up time of large synthetic runs.
            var index = 0
            while index < out.count {
                let (a, b) = rng.nextGaussianPair()
                out[index] = Float(a)
                if index + 1 < out.count { out[index + 1] = Float(b) }
                index += 2
            }
            centres.withUnsafeBufferPointer { centre in
                for row in 0..<count {
                    let base = Int(labels[row]) * dimension
                    for j in 0..<dimension { out[row * dimension + j] += centre[base + j] }
                }
            }
        }
        return Dataset(features: features, labels: labels, dimension: dimension, classCount: classCount)
    }

    /// The labels of one part alone (their own stream), for processes that need no features.
    public static func labels(_ part: Part, count: Int, classCount: Int, seed: UInt64) -> [Int32] {
        var rng = RNGStream(seed: seed, purpose: .synthetic, round: 100 + part.rawValue)
        return (0..<count).map { _ in Int32(rng.nextInt(below: classCount)) }
    }
}
