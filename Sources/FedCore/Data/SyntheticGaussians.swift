/// The synthetic "MNIST-sized" classification data of benchmark W2.
///
/// Labels are uniform over `classCount`; each class has a centre drawn from N(0, centreStd²) per
/// dimension, and an example is its class centre plus N(0, 1) noise per dimension.
public enum SyntheticGaussians {
    /// Generates `train + test` examples from one stream; the first `train` form the training part.
    public static func make(
        train: Int, test: Int, dimension: Int, classCount: Int, centreStd: Double, seed: UInt64
    ) -> DataSplit {
        var rng = RNGStream(seed: seed, purpose: .synthetic)
        var centres = [Float](repeating: 0, count: classCount * dimension)
        for i in centres.indices { centres[i] = Float(rng.nextGaussian() * centreStd) }
        func generate(_ count: Int) -> Dataset {
            var features = [Float](repeating: 0, count: count * dimension)
            var labels = [Int32](repeating: 0, count: count)
            for row in 0..<count {
                let label = rng.nextInt(below: classCount)
                labels[row] = Int32(label)
                for j in 0..<dimension {
                    features[row * dimension + j] = centres[label * dimension + j] + Float(rng.nextGaussian())
                }
            }
            return Dataset(features: features, labels: labels, dimension: dimension, classCount: classCount)
        }
        let trainPart = generate(train)
        return DataSplit(train: trainPart, test: generate(test))
    }
}
