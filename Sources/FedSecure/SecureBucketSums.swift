import FedCore
/// Bucket sums by oblivious linear evaluation (spec §2.4.5–2.4.6): for a shared vector u and the
/// owner q's cumulative bucket map M_q, shares of uᵀM_q, without either party learning u, the map
/// or the sums. Setup sends D_q = M_q − B_q (B_q the dealer's uniform mask) to the other party once;
/// each product then costs the other party n ring elements per vector.

/// A party's cumulative bucket map: M[i, j·k + b] = [bin_ij ≤ b] over its own features, k buckets
/// each. Never materialised on the owner's side: uᵀM is a histogram plus prefix sums.
public struct BucketMap: Sendable, Equatable {
    /// [rows, features] bucket indices, row-major.
    public let bins: [UInt8]
    public let rows: Int
    public let features: Int
    public let buckets: Int

    public init(bins: [UInt8], rows: Int, features: Int, buckets: Int) {
        precondition(bins.count == rows * features && bins.allSatisfy { Int($0) < buckets }, "bucket map: \(rows)×\(features) bins below \(buckets)")
        self.bins = bins
        self.rows = rows
        self.features = features
        self.buckets = buckets
    }

    public var columns: Int { features * buckets }

    /// The dense 0/1 matrix [rows, columns].
    public func dense() -> [UInt64] {
        var out = [UInt64](repeating: 0, count: rows * columns)
        for i in 0..<rows {
            for j in 0..<features {
                for b in Int(bins[i * features + j])..<buckets { out[i * columns + j * buckets + b] = 1 }
            }
        }
        return out
    }

    /// vᵀM for each of `vectors` rows of v [vectors, rows]: per feature a histogram over buckets, then
    /// prefix sums. O(vectors · rows · features).
    public func transposedProduct(_ v: [UInt64], vectors: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: vectors * columns)
        for vector in 0..<vectors {
            let base = vector * columns
            for i in 0..<rows {
                let value = v[vector * rows + i]
                for j in 0..<features { out[base + j * buckets + Int(bins[i * features + j])] &+= value }
            }
            for j in 0..<features {
                for b in 1..<buckets { out[base + j * buckets + b] &+= out[base + j * buckets + b - 1] }
            }
        }
        return out
    }
}

/// What a party holds for the bucket sums after setup.
public struct BucketSumSetup {
    /// Its own map.
    let mine: BucketMap
    /// The other party's map under the dealer's mask, D = M − B [rows, theirColumns].
    let theirsMasked: [UInt64]
    let theirColumns: Int
}

extension SecureEngine {
    /// Setup: both parties take the map masks (the owner receives B_q), and each sends its
    /// D_q = M_q − B_q to the other in one step. `columns` = (K0, K1).
    public func exchangeBucketMaps(_ mine: BucketMap, columns: (Int, Int)) throws -> BucketSumSetup {
        let rows = mine.rows
        var myMask = [UInt64]()
        for owner in 0..<2 {
            let mask = try material.take(.bucketMap(owner: owner, rows: rows, columns: owner == 0 ? columns.0 : columns.1))
            if owner == party { myMask = mask }
        }
        let dense = mine.dense()
        precondition(dense.count == myMask.count, "bucket map of \(mine.columns) columns, expected \(myMask.count / max(rows, 1))")
        let theirColumns = party == 0 ? columns.1 : columns.0
        let masked = zip(dense, myMask).map { $0 &- $1 }
        let theirs = try exchange(masked, expecting: rows * theirColumns, purpose: .bucketMapMasked)
        return BucketSumSetup(mine: mine, theirsMasked: theirs, theirColumns: theirColumns)
    }

    /// Shares of uᵀM_0 [vectors, K0] and uᵀM_1 [vectors, K1] for the shared u [vectors, rows], in
    /// one exchange: each party sends e = u⟨o⟩ − a for the other's map and receives the other's e.
    public func bucketSums(_ u: [UInt64], vectors: Int, setup: BucketSumSetup) throws -> (map0: [UInt64], map1: [UInt64]) {
        let rows = setup.mine.rows, myColumns = setup.mine.columns, theirColumns = setup.theirColumns
        precondition(u.count == vectors * rows, "bucket sums: \(u.count) values for \(vectors)×\(rows)")
        var myMaterial = [UInt64](), theirMaterial = [UInt64]()
        for owner in 0..<2 {
            let taken = try material.take(.bucketProduct(owner: owner, vectors: vectors, rows: rows, columns: owner == party ? myColumns : theirColumns))
            if owner == party { myMaterial = taken } else { theirMaterial = taken }
        }
        let a = theirMaterial[0..<(vectors * rows)]
        let masked = (0..<(vectors * rows)).map { u[$0] &- a[a.startIndex + $0] }
        let theirMasked = try exchange(masked, expecting: vectors * rows, purpose: .bucketSumMasked)
        // Owner side: (u⟨q⟩ + e)ᵀM_q + C⟨q⟩.
        var own = setup.mine.transposedProduct(zip(u, theirMasked).map { $0 &+ $1 }, vectors: vectors)
        for k in own.indices { own[k] &+= myMaterial[k] }
        // Non-owner side: aᵀD_q + C⟨o⟩, a plain wrapping loop (no BLAS for exact ring arithmetic).
        var other = [UInt64](repeating: 0, count: vectors * theirColumns)
        let offset = vectors * rows
        setup.theirsMasked.withUnsafeBufferPointer { d in
            other.withUnsafeMutableBufferPointer { out in
                for v in 0..<vectors {
                    for i in 0..<rows {
                        let scale = a[a.startIndex + v * rows + i]
                        let row = i * theirColumns, base = v * theirColumns
                        for k in 0..<theirColumns { out[base + k] &+= scale &* d[row + k] }
                    }
                    for k in 0..<theirColumns { out[v * theirColumns + k] &+= theirMaterial[offset + v * theirColumns + k] }
                }
            }
        }
        return party == 0 ? (own, other) : (other, own)
    }
}
