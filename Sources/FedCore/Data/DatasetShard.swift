/// One virtual client's share of a data set: the full set (shared, copy-on-write) plus row indices.
///
/// Shards never copy rows, so a worker hosting many clients holds the training data once; the
/// training loop gathers each minibatch into a contiguous buffer instead.
public struct DatasetShard: Sendable {
    public let base: Dataset
    /// Rows of `base` owned by this shard, ascending.
    public let indices: [Int]

    public init(base: Dataset, indices: [Int]) {
        precondition(indices.allSatisfy { $0 >= 0 && $0 < base.count }, "shard index out of range 0..<\(base.count)")
        self.base = base
        self.indices = indices
    }

    /// The whole data set as one shard.
    public init(all data: Dataset) { self.init(base: data, indices: Array(0..<data.count)) }

    public var count: Int { indices.count }
}
