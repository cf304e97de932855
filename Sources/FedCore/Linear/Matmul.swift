import CBLAS

/// Dense matrix kernels over row-major Float32 buffers, backed by OpenBLAS.
///
/// Dimension letters: `m` rows of the result, `n` its columns, `k` the shared inner dimension.
/// Every kernel has a naive loop twin (`Naive`) that the tests compare against on odd shapes.
public enum Matmul {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable { case none, transposed }

    /// C[m, n] = alpha * op(A) * op(B) + beta * C, all row-major.
    ///
    /// - Parameters:
    ///   - a: op(A) is [m, k]; A itself is [m, k] (`.none`) or [k, m] (`.transposed`).
    ///   - b: op(B) is [k, n]; B itself is [k, n] or [n, k].
    ///   - c: [m, n], overwritten (beta = 0) or accumulated into.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float = 0, c: UnsafeMutablePointer<Float>
    ) {
        let lda = transA == .none ? k : m
        let ldb = transB == .none ? n : k
        BLASTimer.measure {
            cblas_sgemm(
                CblasRowMajor, transA == .none ? CblasNoTrans : CblasTrans, transB == .none ? CblasNoTrans : CblasTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
        }
    }

    /// y += alpha * x over `count` elements (BLAS saxpy).
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        BLASTimer.measure { cblas_saxpy(Int32(count), alpha, x, 1, y, 1) }
    }

    /// Sets the number of threads OpenBLAS may use in this process.
    ///
    /// Workers are the parallelism, so each process runs BLAS on one thread; results and timings
    /// then do not depend on how the scheduler shares the cores.
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// The OpenBLAS kernel family in use (for benchmark reports).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The BLAS library and version, e.g. "OpenBLAS 0.3.21" (the first two words of OpenBLAS's
    /// build configuration, which goes on with build flags and the kernel family).
    public static var libraryDescription: String {
        String(cString: openblas_get_config()).split(separator: " ").prefix(2).joined(separator: " ")
    }
}

/// Reference loops for the BLAS kernels; slow, obviously correct, used by tests.
public enum Naive {
    /// Same contract as `Matmul.gemm`, accumulating in Double.
    public static func gemm(
        _ transA: Matmul.Transpose, _ transB: Matmul.Transpose, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: [Float], b: [Float], beta: Float = 0, c: inout [Float]
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transA == .none ? a[i * k + p] : a[p * m + i]
                    let bv = transB == .none ? b[p * n + j] : b[j * k + p]
                    sum += Double(av) * Double(bv)
                }
                let previous = beta == 0 ? 0 : Double(beta) * Double(c[i * n + j])  // beta 0 overwrites, as BLAS does
                c[i * n + j] = Float(Double(alpha) * sum + previous)
            }
        }
    }
}
