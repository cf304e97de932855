/// Heterogeneous strongly-convex–strongly-concave quadratic games, one per client:
///
///     f_i(x, y) = ½ xᵀA_i x + xᵀB_i y − ½ yᵀC_i y + a_iᵀx − c_iᵀy,   x, y ∈ R^d
///
/// with A_i, C_i symmetric positive definite. The global game min_x max_y Σ_i f_i has one saddle,
/// the solution of  [ΣA  ΣB; ΣBᵀ −ΣC] [x; y] = [−Σa; Σc]. Federated minimax methods are judged by
/// their distance to it (a method whose fixed point is biased by client heterogeneity stays away).
///
/// Each client's coefficients travel as one data row (so the usual partitioners and loaders apply):
/// A (d×d), B (d×d), C (d×d), a (d), c (d), row-major, 3d² + 2d values.
public enum QuadraticSaddle {
    /// Values per row for dimension d.
    public static func rowWidth(dimension d: Int) -> Int { 3 * d * d + 2 * d }

    /// The dimension d of rows of `width` values (nil if no d fits).
    public static func dimension(rowWidth width: Int) -> Int? {
        (1...1_000).first { rowWidth(dimension: $0) == width }
    }

    /// One row per client. A_i = I + G Gᵀ/d and C_i = I + H Hᵀ/d (eigenvalues ≥ 1), B_i, a_i, c_i
    /// Gaussian; `heterogeneity` scales how much clients differ around a shared problem.
    public static func make(clients: Int, dimension d: Int, heterogeneity: Double, seed: UInt64) -> Dataset {
        var shared = RNGStream(seed: seed, purpose: .synthetic, round: 200)
        let base = (0..<rowWidth(dimension: d)).map { _ in shared.nextGaussian() }
        var rows = [Float]()
        for client in 0..<clients {
            var rng = RNGStream(seed: seed, purpose: .synthetic, client: UInt64(client), round: 201)
            let raw = base.map { $0 + heterogeneity * rng.nextGaussian() }
            rows += encode(raw, dimension: d)
        }
        return Dataset(features: rows, labels: [Int32](repeating: 0, count: clients), dimension: rowWidth(dimension: d),
                       classCount: 2)
    }

    /// Turns raw Gaussian blocks into valid coefficients (SPD A and C).
    static func encode(_ raw: [Double], dimension d: Int) -> [Float] {
        let g = Array(raw[0..<(d * d)]), b = Array(raw[(d * d)..<(2 * d * d)]), h = Array(raw[(2 * d * d)..<(3 * d * d)])
        func spd(_ m: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: d * d)
            for i in 0..<d { for j in 0..<d {
                var sum = 0.0
                for k in 0..<d { sum += m[i * d + k] * m[j * d + k] }
                out[i * d + j] = sum / Double(d) + (i == j ? 1 : 0)
            } }
            return out
        }
        return (spd(g) + b + spd(h) + Array(raw[(3 * d * d)...])).map { Float($0) }
    }

    /// The saddle (x*, y*) of the sum of the games in `rows` (Gaussian elimination, partial pivoting, Double).
    public static func saddle(of rows: Dataset) -> [Double] {
        let d = dimension(rowWidth: rows.dimension) ?? 0
        let n = 2 * d
        var m = [Double](repeating: 0, count: n * (n + 1))  // augmented [K | rhs]
        for row in 0..<rows.count {
            let v = rows.features[(row * rows.dimension)..<((row + 1) * rows.dimension)].map(Double.init)
            let (a, b, c) = (0, d * d, 2 * d * d)
            let (la, lc) = (3 * d * d, 3 * d * d + d)
            for i in 0..<d {
                for j in 0..<d {
                    m[i * (n + 1) + j] += v[a + i * d + j]               // ΣA
                    m[i * (n + 1) + d + j] += v[b + i * d + j]           // ΣB
                    m[(d + i) * (n + 1) + j] += v[b + j * d + i]         // ΣBᵀ
                    m[(d + i) * (n + 1) + d + j] -= v[c + i * d + j]     // −ΣC
                }
                m[i * (n + 1) + n] -= v[la + i]                          // −Σa
                m[(d + i) * (n + 1) + n] += v[lc + i]                    // +Σc
            }
        }
        for column in 0..<n {
            let pivot = (column..<n).max { abs(m[$0 * (n + 1) + column]) < abs(m[$1 * (n + 1) + column]) } ?? column
            if pivot != column { for k in 0...n { m.swapAt(pivot * (n + 1) + k, column * (n + 1) + k) } }
            let p = m[column * (n + 1) + column]
            for r in 0..<n where r != column {
                let factor = m[r * (n + 1) + column] / p
                if factor != 0 { for k in column...n { m[r * (n + 1) + k] -= factor * m[column * (n + 1) + k] } }
            }
        }
        return (0..<n).map { m[$0 * (n + 1) + n] / m[$0 * (n + 1) + $0] }
    }
}
