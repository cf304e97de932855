/// A graph with node features and labels: nodes 0..<nodeCount, undirected edges, and (for data sets
/// that come with one, like Planetoid) a standard split of the nodes.
public struct GraphDataset: Sendable {
    /// Node features, [nodeCount, featureDimension]; sparse because bag-of-words features are.
    public var features: SparseMatrix
    /// Class of each node, or -1 for a node without a label (a gap in a Planetoid test index).
    public var labels: [Int32]
    public var classCount: Int
    /// Each undirected edge once, `a < b`, sorted, no self-loops.
    public var edges: [GraphEdge]
    /// The data set's own split, if it has one.
    public var split: NodeSplit?

    public var nodeCount: Int { labels.count }
    public var featureDimension: Int { features.columnCount }

    /// Node ids of a split, each ascending.
    public struct NodeSplit: Sendable, Equatable {
        public var train: [Int]
        public var validation: [Int]
        public var test: [Int]
        public init(train: [Int], validation: [Int], test: [Int]) {
            self.train = train
            self.validation = validation
            self.test = test
        }
    }

    public init(features: SparseMatrix, labels: [Int32], classCount: Int, edges: [GraphEdge], split: NodeSplit? = nil) {
        precondition(features.rowCount == labels.count, "\(features.rowCount) feature rows for \(labels.count) nodes")
        self.features = features
        self.labels = labels
        self.classCount = classCount
        self.edges = edges
        self.split = split
    }

    /// Features with every row scaled to sum 1 (Kipf's preprocessing); all-zero rows stay zero.
    public func rowNormalizedFeatures() -> SparseMatrix {
        var values = features.values
        for row in 0..<features.rowCount {
            let range = features.rowStarts[row]..<features.rowStarts[row + 1]
            var sum = 0.0
            for position in range { sum += Double(values[position]) }
            guard sum != 0 else { continue }
            for position in range { values[position] = Float(Double(values[position]) / sum) }
        }
        return features.replacingValues(values)
    }
}
