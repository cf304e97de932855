/// Eigenvalues of small dense symmetric matrices in Double, for spectral checks (mixing-matrix ρ).
///
/// Cyclic Jacobi (Golub & Van Loan, *Matrix Computations*, §8.5): sweep over every pair (p, q) with
/// p < q in row order and apply the plane rotation J(p, q, θ) that zeroes a_pq, A ← Jᵀ A J. Rotations
/// keep the Frobenius norm, so the off-diagonal mass moves onto the diagonal and converges
/// quadratically; the diagonal is then the spectrum. Jacobi is slower than tridiagonal QR but short,
/// free of LAPACK, and accurate to a few ulps of ‖A‖ on every eigenvalue. Symbols: A is the [n, n]
/// row-major working copy, (p, q) the pivot pair, t = tan θ, c = cos θ, s = sin θ.
public enum SymmetricEigen {
    /// Relative stopping threshold: a sweep ends the iteration once off(A) ≤ tolerance · ‖A‖_F.
    static let tolerance = 1e-12
    /// Jacobi needs about 6–10 sweeps for n in the hundreds; the cap only guards against a bug.
    static let maximumSweeps = 100

    /// The eigenvalues of the symmetric matrix `matrix`, sorted descending.
    ///
    /// The input must be symmetric up to rounding (|a_ij − a_ji| ≤ 1e-10 · max|a|); the solver works
    /// on (A + Aᵀ)/2. Iteration stops when the off-diagonal Frobenius norm falls below 1e-12 times
    /// the Frobenius norm of A, so every eigenvalue is accurate to about 1e-12 · ‖A‖_F.
    ///
    /// - Parameters:
    ///   - matrix: A, [n, n], row-major, finite.
    ///   - n: the order of A (0 gives an empty result).
    /// - Returns: the n eigenvalues, largest first, repeated by multiplicity.
    /// - Complexity: O(n³) per sweep, a handful of sweeps; fine for n up to a few hundred.
    public static func eigenvalues(_ matrix: [Double], n: Int) -> [Double] {
        precondition(n >= 0 && matrix.count == n * n,
                     "eigenvalues: matrix has \(matrix.count) entries, need n² = \(n * n)")
        var scale = 0.0
        for value in matrix {
            precondition(value.isFinite, "eigenvalues: matrix has a non-finite entry \(value)")
            scale = max(scale, abs(value))
        }
        var a = matrix
        for i in 0..<n {
            for j in (i + 1)..<n {
                let upper = a[i * n + j], lower = a[j * n + i]
                precondition(abs(upper - lower) <= 1e-10 * scale,
                             "eigenvalues: matrix is not symmetric at (\(i), \(j)): \(upper) vs \(lower)")
                let mean = 0.5 * (upper + lower)
                a[i * n + j] = mean
                a[j * n + i] = mean
            }
        }
        var frobeniusSquared = 0.0
        for value in a { frobeniusSquared += value * value }
        let threshold = tolerance * tolerance * frobeniusSquared  // compared with off(A)², no square roots
        a.withUnsafeMutableBufferPointer { a in
            var sweep = 0
            while true {
                let off = offDiagonalSquared(a, n: n)
                if off <= threshold { break }
                precondition(sweep < maximumSweeps,
                             "eigenvalues: Jacobi did not converge in \(maximumSweeps) sweeps (off² \(off), n \(n))")
                for p in 0..<n {
                    for q in (p + 1)..<n { rotate(a, n: n, p: p, q: q) }
                }
                sweep += 1
            }
        }
        return (0..<n).map { a[$0 * n + $0] }.sorted(by: >)
    }

    /// Σ_{i≠j} a_ij², in row order so the stopping decision is reproducible.
    private static func offDiagonalSquared(_ a: UnsafeMutableBufferPointer<Double>, n: Int) -> Double {
        var sum = 0.0
        for i in 0..<n {
            for j in 0..<n where j != i { sum += a[i * n + j] * a[i * n + j] }
        }
        return sum
    }

    /// One Jacobi rotation A ← Jᵀ A J that zeroes a_pq (Golub & Van Loan, Algorithm 8.5.1, symSchur2).
    private static func rotate(_ a: UnsafeMutableBufferPointer<Double>, n: Int, p: Int, q: Int) {
        let apq = a[p * n + q]
        if apq == 0 { return }
        let app = a[p * n + p], aqq = a[q * n + q]
        // τ = cot 2θ; t is the smaller root of t² + 2τt − 1 = 0, so |θ| ≤ π/4 and the rotation is stable.
        let tau = (aqq - app) / (2 * apq)
        let t: Double
        if abs(tau) > 1e150 {
            t = 1 / (2 * tau)  // τ² would overflow; this is the leading term of the root
        } else {
            t = (tau >= 0 ? 1 : -1) / (abs(tau) + (1 + tau * tau).squareRoot())
        }
        let c = 1 / (1 + t * t).squareRoot(), s = t * c
        for k in 0..<n where k != p && k != q {
            let akp = a[k * n + p], akq = a[k * n + q]
            let newKP = c * akp - s * akq, newKQ = s * akp + c * akq
            a[k * n + p] = newKP; a[p * n + k] = newKP
            a[k * n + q] = newKQ; a[q * n + k] = newKQ
        }
        a[p * n + p] = app - t * apq
        a[q * n + q] = aqq + t * apq
        a[p * n + q] = 0
        a[q * n + p] = 0
    }
}
