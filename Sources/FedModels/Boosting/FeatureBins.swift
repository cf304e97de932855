import FedCore

/// Quantile buckets of every feature (spec §2.1): the boosting works on bucket indices, not values.
///
/// Feature j gets up to `buckets − 1` ascending distinct thresholds, the training values at the
/// quantiles k/buckets; a value's bucket is the number of thresholds below it, so
/// `bucket ≤ b ⇔ value ≤ threshold[b]`. Values above every threshold fall in the last bucket.
public struct FeatureBins: Sendable, Equatable {
    /// thresholds[j]: feature j's ascending, distinct thresholds.
    public let thresholds: [[Float]]

    public init(thresholds: [[Float]]) { self.thresholds = thresholds }

    /// Fits the thresholds on `features` [rows, dimension] (row-major).
    public init(fitting features: [Float], dimension: Int, buckets: Int) {
        precondition(buckets >= 2 && dimension > 0 && features.count % dimension == 0, "bins need two buckets and whole rows")
        let rows = features.count / dimension
        var all = [[Float]]()
        for j in 0..<dimension {
            var column = (0..<rows).map { features[$0 * dimension + j] }
            column.sort()
            var cuts = [Float]()
            for k in 1..<buckets where rows > 0 {
                let value = column[min(rows - 1, (k * rows) / buckets)]
                // A cut at the largest value would leave its bucket empty: it adds nothing.
                if value < column[rows - 1], cuts.last.map({ value > $0 }) ?? true { cuts.append(value) }
            }
            all.append(cuts)
        }
        thresholds = all
    }

    public var dimension: Int { thresholds.count }

    /// The bucket of `value` for feature `j`.
    public func bucket(_ value: Float, feature j: Int) -> Int {
        let cuts = thresholds[j]
        var low = 0, high = cuts.count
        while low < high {
            let middle = (low + high) / 2
            if cuts[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Bucket indices of `features` [rows, dimension], row-major.
    public func apply(_ features: [Float]) -> [UInt8] {
        precondition(features.count % dimension == 0, "rows of \(dimension) features expected")
        return features.indices.map { UInt8(clamping: bucket(features[$0], feature: $0 % dimension)) }
    }
}
