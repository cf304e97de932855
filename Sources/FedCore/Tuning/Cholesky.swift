import CBLAS

/// The Cholesky factor of a symmetric positive-definite matrix, from LAPACK (`dpotrf`), and solves
/// with it (`dpotrs`). Double precision: Gaussian-process kernels are badly conditioned.
public struct Cholesky: Sendable {
    /// n.
    public let size: Int
    /// The factor L (lower triangle, column-major as LAPACK leaves it; the upper part is unused).
    public let factor: [Double]

    /// Factorises `matrix` [n, n] (symmetric, so row- and column-major agree); nil when it is not
    /// positive definite.
    public init?(_ matrix: [Double], size n: Int) {
        precondition(matrix.count == n * n, "\(matrix.count) values for a \(n) x \(n) matrix")
        var a = matrix
        var order = Int32(n), lda = Int32(max(n, 1)), info: Int32 = 0
        a.withUnsafeMutableBufferPointer { dpotrf_("L", &order, $0.baseAddress, &lda, &info, 1) }
        guard info == 0 else { return nil }
        size = n
        factor = a
    }

    /// x with A x = b.
    public func solve(_ b: [Double]) -> [Double] {
        precondition(b.count == size, "right-hand side of \(b.count) values for size \(size)")
        var x = b
        var order = Int32(size), one: Int32 = 1, lda = Int32(max(size, 1)), ldb = Int32(max(size, 1)), info: Int32 = 0
        factor.withUnsafeBufferPointer { l in
            x.withUnsafeMutableBufferPointer { dpotrs_("L", &order, &one, l.baseAddress, &lda, $0.baseAddress, &ldb, &info, 1) }
        }
        precondition(info == 0, "dpotrs failed with info \(info)")
        return x
    }

    /// v with L v = b (forward substitution on the factor), for posterior variances.
    public func solveLower(_ b: [Double]) -> [Double] {
        var v = b
        for i in 0..<size {
            var sum = v[i]
            for k in 0..<i { sum -= factor[k * size + i] * v[k] }  // L[i, k], column-major
            v[i] = sum / factor[i * size + i]
        }
        return v
    }

    /// Σ log L_ii = ½ log det A.
    public var halfLogDeterminant: Double {
        var sum = 0.0
        for i in 0..<size { sum += libmLog(factor[i * size + i]) }
        return sum
    }
}
