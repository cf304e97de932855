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
        var k = [Double](repeating: 0, count: n * n), rhs = [Double](repeating: 0, count: n)
        for row in 0..<rows.count {
            let v = rows.features[(row * rows.dimension)..<((row + 1) * rows.dimension)].map(Double.init)
            let (a, b, c) = (0, d * d, 2 * d * d)
            let (la, lc) = (3 * d * d, 3 * d * d + d)
            for i in 0..<d {
                for j in 0..<d {
                    k[i * n + j] += v[a + i * d + j]               // ΣA
                    k[i * n + d + j] += v[b + i * d + j]           // ΣB
                    k[(d + i) * n + j] += v[b + j * d + i]         // ΣBᵀ
                    k[(d + i) * n + d + j] -= v[c + i * d + j]     // −ΣC
                }
                rhs[i] -= v[la + i]                            // −Σa
                rhs[d + i] += v[lc + i]                        // +Σc
            }
        }
        return DenseSolve.solve(k, rhs, n: n)
    }
}
