/// A labelled classification data set held as one contiguous row-major feature matrix.
///
/// `features` is [count, dimension] row-major Float32; `labels[i]` is in 0..<classCount, or
/// `Dataset.unlabelled` (−1) for a row whose label is withheld (the target domain of domain
/// adaptation: its training rows carry no label at all, so no algorithm can use one).
/// Subsets copy rows so that a client's shard is contiguous for its training loop.
public struct Dataset: Sendable, Equatable {
    public var features: [Float]
    public var labels: [Int32]
    public let dimension: Int
    public let classCount: Int
    /// The domain of each row (0 source, 1 target) for data sets that mix two domains; empty when
    /// every row is from one domain.
    public var domains: [UInt8]

    /// The label of a row whose label is withheld.
    public static let unlabelled: Int32 = -1

    /// Creates a data set, checking that the buffers agree.
    public init(features: [Float], labels: [Int32], dimension: Int, classCount: Int, domains: [UInt8] = []) {
        precondition(dimension > 0 && features.count == labels.count * dimension,
                     "features (\(features.count)) must be labels (\(labels.count)) x dimension (\(dimension))")
        precondition(labels.allSatisfy { $0 >= Self.unlabelled && Int($0) < classCount },
                     "labels must lie in 0..<\(classCount) or be -1 (unlabelled)")
        precondition(domains.isEmpty || domains.count == labels.count, "one domain tag per row")
        self.features = features
        self.labels = labels
        self.dimension = dimension
        self.classCount = classCount
        self.domains = domains
    }

    /// Rows in `self` followed by the rows of `other` (same width and classes); domain tags are kept,
    /// rows of a part without tags count as domain 0.
    public func appending(_ other: Dataset) -> Dataset {
        precondition(dimension == other.dimension && classCount == other.classCount, "appended data sets must match")
        let tags = domains.isEmpty && other.domains.isEmpty ? []
            : (domains.isEmpty ? [UInt8](repeating: 0, count: count) : domains)
                + (other.domains.isEmpty ? [UInt8](repeating: 0, count: other.count) : other.domains)
        return Dataset(features: features + other.features, labels: labels + other.labels, dimension: dimension,
                       classCount: classCount, domains: tags)
    }

    /// The same rows tagged with one domain.
    public func tagged(domain: UInt8) -> Dataset {
        Dataset(features: features, labels: labels, dimension: dimension, classCount: classCount,
                domains: [UInt8](repeating: domain, count: count))
    }

    /// The same rows with every label withheld.
    public func withoutLabels() -> Dataset {
        Dataset(features: features, labels: [Int32](repeating: Self.unlabelled, count: count), dimension: dimension,
                classCount: classCount, domains: domains)
    }

    /// Number of rows without a label.
    public var unlabelledCount: Int { labels.count { $0 < 0 } }

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
        return Dataset(features: rows, labels: indices.map { labels[$0] }, dimension: dimension, classCount: classCount,
                       domains: domains.isEmpty ? [] : indices.map { domains[$0] })
    }

    /// How many labelled examples each class has.
    public func classHistogram() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for label in labels where label >= 0 { counts[Int(label)] += 1 }
        return counts
    }

    /// Indices of the labelled examples of each class, in ascending order.
    public func indicesByClass() -> [[Int]] {
        var groups = [[Int]](repeating: [], count: classCount)
        for (index, label) in labels.enumerated() where label >= 0 { groups[Int(label)].append(index) }
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
