import FedCore
import FedModels

/// Vertically partitioned rows (spec §2.4.5 step 1): each party holds some feature columns of the
/// same, already aligned rows (record linkage is out of scope); party 0 also holds the labels. Each
/// party bins only its own columns, with thresholds fitted on its own training values.
public enum VerticalColumns {
    /// Party p's columns of `features` [rows, dimension], row-major.
    public static func columns(_ features: [Float], dimension: Int, keep: [Int]) -> [Float] {
        let rows = features.count / dimension
        var out = [Float]()
        out.reserveCapacity(rows * keep.count)
        for i in 0..<rows { for j in keep { out.append(features[i * dimension + j]) } }
        return out
    }

    /// Both parties' protocol inputs: `columns[p]` are party p's feature indices.
    public static func inputs(features: [Float], dimension: Int, labels: [Double], columns: [[Int]], buckets: Int) -> [SecureBoostingParty.Input] {
        precondition(columns.count == 2 && columns.allSatisfy { !$0.isEmpty }, "two parties, each with at least one column")
        return (0..<2).map { party in
            let own = Self.columns(features, dimension: dimension, keep: columns[party])
            let bins = FeatureBins(fitting: own, dimension: columns[party].count, buckets: buckets)
            return SecureBoostingParty.Input(party: party, bins: bins, binned: bins.apply(own), rows: labels.count,
                                             labels: party == 0 ? labels : nil)
        }
    }

    /// The bins of new rows under each party's fitted thresholds.
    public static func binned(_ features: [Float], dimension: Int, columns: [[Int]], inputs: [SecureBoostingParty.Input]) -> [[UInt8]] {
        (0..<2).map { inputs[$0].bins.apply(Self.columns(features, dimension: dimension, keep: columns[$0])) }
    }

    /// Both parties' bins side by side, [rows, d0 + d1] from [rows, d0] and [rows, d1]: the input of
    /// the plaintext references, which see every column.
    public static func joined(_ halves: [[UInt8]], features: [Int], rows: Int) -> [UInt8] {
        precondition(halves.count == 2 && features.count == 2, "two parties' bins")
        var out = [UInt8]()
        out.reserveCapacity(rows * (features[0] + features[1]))
        for row in 0..<rows {
            for party in 0..<2 { out += halves[party][(row * features[party])..<((row + 1) * features[party])] }
        }
        return out
    }
}
