import FedCore

/// LightGCN (He et al., SIGIR 2020; spec `models-and-protocols.md` §5.5), centrally.
///
/// ```
/// E^(0) = [P; Q]  (users + items) × d,   Ã = D^{−1/2} A D^{−1/2} of the user–item graph (no self-loops)
/// E^(k+1) = Ã E^(k), k < K;   E = Σ_{k=0..K} α_k E^(k), α_k = 1/(K+1);   ŷ_ui = e_uᵀ e_i
/// loss = mean over triples of softplus(ŷ_uj − ŷ_ui) + (λ/2)(‖e_u^(0)‖² + ‖e_i^(0)‖² + ‖e_j^(0)‖²)
/// ```
/// Backward: with c = σ(ŷ_ui − ŷ_uj) − 1 and B triples, G_E[u] += c(e_i − e_j)/B, G_E[i] += c e_u/B,
/// G_E[j] −= c e_u/B; then G_{E^(0)} = Σ_k α_k Ã^k G_E by K sparse products, Horner style
/// (T = α_K G_E; for k = K−1…0: T = Ã T + α_k G_E), plus λ e^(0)/B on the triples' rows.
/// With K = 0 this is BPR-MF exactly.
public struct LightGCN: Sendable {
    public let userCount: Int
    public let itemCount: Int
    public let dimension: Int
    public let layers: Int
    public let regularization: Float
    /// Ã over users (rows 0..<users) then items.
    public let propagation: SparseMatrix

    public init(training: InteractionSet, dimension: Int, layers: Int, regularization: Float) {
        precondition(dimension > 0 && layers >= 0, "LightGCN needs a positive dimension and K ≥ 0")
        userCount = training.userCount
        itemCount = training.itemCount
        self.dimension = dimension
        self.layers = layers
        self.regularization = regularization
        propagation = Self.bipartitePropagation(training)
    }

    /// D^{−1/2} A D^{−1/2} of the bipartite graph, users first; isolated nodes have empty rows.
    public static func bipartitePropagation(_ set: InteractionSet) -> SparseMatrix {
        let n = set.userCount, total = set.userCount + set.itemCount
        var degree = [Double](repeating: 0, count: total)
        for position in 0..<set.count {
            degree[Int(set.users[position])] += 1
            degree[n + Int(set.items[position])] += 1
        }
        var entries = [SparseMatrix.Entry]()
        entries.reserveCapacity(2 * set.count)
        for position in 0..<set.count {
            let (u, i) = (Int(set.users[position]), n + Int(set.items[position]))
            let weight = Float(1 / (degree[u] * degree[i]).squareRoot())
            entries.append(SparseMatrix.Entry(row: u, column: i, value: weight))
            entries.append(SparseMatrix.Entry(row: i, column: u, value: weight))
        }
        guard let matrix = try? SparseMatrix(rowCount: total, columnCount: total, entries: entries) else {
            preconditionFailure("bipartite propagation matrix out of range")
        }
        return matrix
    }

    /// E = Σ_k α_k Ã^k E^(0), [users + items, d].
    public func propagate(_ ego: [Float]) -> [Float] {
        precondition(ego.count == (userCount + itemCount) * dimension, "ego embeddings of the wrong size")
        let alpha = 1 / Float(layers + 1)
        var layer = ego
        var sum = ego.map { $0 * alpha }
        var next = [Float](repeating: 0, count: ego.count)
        for _ in 0..<layers {
            layer.withUnsafeBufferPointer { x in next.withUnsafeMutableBufferPointer { propagation.multiply(x.baseAddress!, width: dimension, into: $0.baseAddress!) } }
            swap(&layer, &next)
            for i in sum.indices { sum[i] += alpha * layer[i] }
        }
        return sum
    }

    /// Mean loss over `triples` (item ids are 0-based items, not graph rows); adds the gradient with
    /// respect to the ego embeddings E^(0) into `gradient`.
    public func lossAndGradient(triples: [BPRMatrixFactorization.Triple], ego: [Float], gradient: inout [Float]) -> Float {
        precondition(gradient.count == ego.count, "gradient of the wrong size")
        guard !triples.isEmpty else { return 0 }
        let d = dimension, n = userCount, scale = 1 / Float(triples.count), lambda = regularization
        let final = propagate(ego)
        var gFinal = [Float](repeating: 0, count: ego.count)
        var loss = 0.0
        for t in triples {
            let (u, i, j) = (Int(t.user) * d, (n + Int(t.positive)) * d, (n + Int(t.negative)) * d)
            var x: Float = 0, norms: Float = 0
            for k in 0..<d {
                x += final[u + k] * (final[i + k] - final[j + k])
                norms += ego[u + k] * ego[u + k] + ego[i + k] * ego[i + k] + ego[j + k] * ego[j + k]
            }
            let term = BPRMatrixFactorization.pairTerm(x)
            loss += term.loss + 0.5 * Double(lambda * norms)
            let c = term.slope * scale
            for k in 0..<d {
                let (eu, ei, ej) = (final[u + k], final[i + k], final[j + k])
                gFinal[u + k] += c * (ei - ej)
                gFinal[i + k] += c * eu
                gFinal[j + k] -= c * eu
                gradient[u + k] += lambda * scale * ego[u + k]
                gradient[i + k] += lambda * scale * ego[i + k]
                gradient[j + k] += lambda * scale * ego[j + k]
            }
        }
        // Horner: T = α_K G; T = Ã T + α_k G for k = K−1 … 0 (Ã symmetric).
        let alpha = 1 / Float(layers + 1)
        var t = gFinal.map { $0 * alpha }
        var next = [Float](repeating: 0, count: t.count)
        for _ in 0..<layers {
            t.withUnsafeBufferPointer { x in next.withUnsafeMutableBufferPointer { propagation.multiply(x.baseAddress!, width: d, into: $0.baseAddress!) } }
            for index in next.indices { next[index] += alpha * gFinal[index] }
            swap(&t, &next)
        }
        for index in gradient.indices { gradient[index] += t[index] }
        return Float(loss / Double(triples.count))
    }
}
