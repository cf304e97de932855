/// Heterogeneous quadratic bilevel problems, one per client (spec: optimization §3.8 task 1):
///
///     g_i(x, y) = ½ yᵀA_i y − yᵀB_i x,      f_i(x, y) = ½‖y − c_i‖² + (λ/2)‖x‖²
///
/// with x ∈ R^p, y ∈ R^q, A_i symmetric positive definite. For the averages Ā, B̄, c̄:
/// y*(x) = Ā⁻¹B̄x and ∇Φ(x) = B̄ᵀĀ⁻¹(y*(x) − c̄) + λx, known exactly, so methods are judged by
/// ‖∇Φ(x)‖² itself. Clients differ (non-IID), so no client's own Hessian A_i is the right one.
///
/// Each client's coefficients travel as one data row: A (q×q), B (q×p), c (q), row-major.
public enum QuadraticBilevel {
    /// Values per row.
    public static func rowWidth(upper p: Int, lower q: Int) -> Int { q * q + q * p + q }

    /// One row per client. A_i = I + G Gᵀ/(4q) (eigenvalues in about [1, 3] at heterogeneity 1),
    /// B_i = H/√p, c_i Gaussian; G, H and c are a shared draw plus `heterogeneity` times a client's own.
    public static func make(clients: Int, upper p: Int, lower q: Int, heterogeneity: Double, seed: UInt64) -> Dataset {
        let width = rowWidth(upper: p, lower: q)
        var shared = RNGStream(seed: seed, purpose: .synthetic, round: 310)
        let base = (0..<width).map { _ in shared.nextGaussian() }
        var rows = [Float]()
        rows.reserveCapacity(clients * width)
        for client in 0..<clients {
            var rng = RNGStream(seed: seed, purpose: .synthetic, client: UInt64(client), round: 311)
            let raw = base.map { $0 + heterogeneity * rng.nextGaussian() }
            let g = Array(raw[0..<(q * q)])
            var a = [Double](repeating: 0, count: q * q)
            for i in 0..<q { for j in 0..<q {
                var sum = 0.0
                for k in 0..<q { sum += g[i * q + k] * g[j * q + k] }
                a[i * q + j] = sum / Double(4 * q) + (i == j ? 1 : 0)
            } }
            let b = raw[(q * q)..<(q * q + q * p)].map { $0 / Double(p).squareRoot() }
            rows += (a + b + Array(raw[(q * q + q * p)...])).map { Float($0) }
        }
        return Dataset(features: rows, labels: [Int32](repeating: 0, count: clients), dimension: width, classCount: 2)
    }

    /// Ā, B̄ and c̄ of the rows.
    public struct Averages: Sendable {
        public let p: Int, q: Int
        /// [q, q], [q, p], [q], row-major, in Double.
        public var a: [Double], b: [Double], c: [Double]
    }

    /// The averages of the coefficient rows of `data`.
    public static func averages(of data: Dataset, upper p: Int, lower q: Int) -> Averages {
        precondition(data.dimension == rowWidth(upper: p, lower: q), "rows of width \(data.dimension) are not (p \(p), q \(q)) problems")
        var sums = [Double](repeating: 0, count: data.dimension)
        for row in 0..<data.count {
            for k in 0..<data.dimension { sums[k] += Double(data.features[row * data.dimension + k]) }
        }
        let m = Double(max(data.count, 1))
        let mean = sums.map { $0 / m }
        return Averages(p: p, q: q, a: Array(mean[0..<(q * q)]), b: Array(mean[(q * q)..<(q * q + q * p)]),
                        c: Array(mean[(q * q + q * p)...]))
    }
}

extension QuadraticBilevel.Averages {
    /// y*(x) = Ā⁻¹B̄x.
    public func lowerSolution(x: [Double]) -> [Double] {
        var bx = [Double](repeating: 0, count: q)
        for i in 0..<q { for j in 0..<p { bx[i] += b[i * p + j] * x[j] } }
        return DenseSolve.solve(a, bx, n: q)
    }

    /// ∇Φ(x) = B̄ᵀĀ⁻¹(y*(x) − c̄) + λx.
    public func hypergradient(x: [Double], upperRegularization lambda: Double) -> [Double] {
        let y = lowerSolution(x: x)
        let w = DenseSolve.solve(a, (0..<q).map { y[$0] - c[$0] }, n: q)  // Ā symmetric: Ā⁻ᵀ = Ā⁻¹
        return (0..<p).map { j in
            var sum = lambda * x[j]
            for i in 0..<q { sum += b[i * p + j] * w[i] }
            return sum
        }
    }
}
