/// A labelled classification data set held as one contiguous row-major feature matrix.
///
/// `features` is [count, dimension] row-major Float32; `labels[i]` is in 0..<classCount.
/// Subsets copy rows so that a client's shard is contiguous for its training loop.
public struct Dataset: Sendable, Equatable {
    public var features: [Float]
    public var labels: [Int32]
    public let dimension: Int
    public let classCount: Int

    /// Creates a data set, checking that the buffers agree.
    public init(features: [Float], labels: [Int32], dimension: Int, classCount: Int) {
        precondition(dimension > 0 && features.count == labels.count * dimension,
                     "features (\(features.count)) must be labels (\(labels.count)) x dimension (\(dimension))")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classCount },
                     "labels must lie in 0..<\(classCount)")
        self.features = features
        self.labels = labels
        self.dimension = dimension
        self.classCount = classCount
    }

    /// Number of examples.
    public var count: Int { labels.count }

    /// The rows at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        var rows = [Float]()
        rows.reserveCapacity(indices.count * dimension)
        features.withUnsafeBufferPointer { all in
            for index in indices {
                rows.append(contentsOf: all[(index * dimension)..<((index + 1) * dimension)])
            }
        }
        return Dataset(features: rows, labels: indices.map { labels[$0] }, dimension: dimension, classCount: classCount)
    }

    /// How many examples each class has.
    public func classHistogram() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels { counts[Int(label)] += 1 }
        return counts
    }

    /// Indices of the examples of each class, in ascending order.
    public func indicesByClass() -> [[Int]] {
        var groups = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() { groups[Int(label)].append(index) }
        return groups
    }
}

/// A data set divided into the part clients train on and the central test part.
public struct DataSplit: Sendable {
    public var train: Dataset
    public var test: Dataset

    public init(train: Dataset, test: Dataset) {
        self.train = train
        self.test = test
    }

    /// Stratified split: each class contributes `testFraction` of its examples (rounded) to the test part.
    ///
    /// Deterministic given the stream; rows keep ascending order inside each part.
    public static func stratified(_ data: Dataset, testFraction: Double, rng: inout RNGStream) -> DataSplit {
        precondition(testFraction > 0 && testFraction < 1, "testFraction must be in (0, 1), got \(testFraction)")
        var testIndices = [Int]()
        var trainIndices = [Int]()
        for var group in data.indicesByClass() {
            rng.shuffle(&group)
            let testCount = Int((Double(group.count) * testFraction).rounded())
            testIndices.append(contentsOf: group[0..<testCount])
            trainIndices.append(contentsOf: group[testCount...])
        }
        return DataSplit(train: data.subset(trainIndices.sorted()), test: data.subset(testIndices.sorted()))
    }
}
