import FedCore
import FedTestSupport
import Testing

/// A gemm problem size (m rows of C, n columns, k inner).
struct GemmShape: Sendable, CustomTestStringConvertible {
    var m: Int, n: Int, k: Int
    var testDescription: String { "\(m)x\(n)x\(k)" }
}

/// The pair of transpose flags of one gemm call.
struct TransposePair: Sendable, CustomTestStringConvertible {
    var a: Matmul.Transpose, b: Matmul.Transpose
    var testDescription: String { "A\(a == .none ? "" : "ᵀ")·B\(b == .none ? "" : "ᵀ")" }
    static let all = [
        TransposePair(a: .none, b: .none), TransposePair(a: .none, b: .transposed),
        TransposePair(a: .transposed, b: .none), TransposePair(a: .transposed, b: .transposed),
    ]
}

/// op(A)[i][p] as a Double matrix, read from A stored row-major as [m, k] or [k, m].
private func materialise(_ stored: [Float], rows: Int, columns: Int, transposed: Bool) -> [[Double]] {
    (0..<rows).map { i in
        (0..<columns).map { p in Double(transposed ? stored[p * rows + i] : stored[i * columns + p]) }
    }
}

/// The expected C and, per entry, the magnitude Σ|α·a·b| + |β·c| used to scale the tolerance.
private func reference(
    _ pair: TransposePair, _ shape: GemmShape, alpha: Float, a: [Float], b: [Float], beta: Float, c: [Float]
) -> (values: [Double], scale: [Double]) {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let opA = materialise(a, rows: m, columns: k, transposed: pair.a == .transposed)
    let opBT = materialise(b, rows: n, columns: k, transposed: pair.b == .none)  // row j of op(B)ᵀ
    var values = [Double](repeating: 0, count: m * n), scale = values
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0, magnitude = 0.0
            for p in 0..<k {
                sum += opA[i][p] * opBT[j][p]
                magnitude += abs(opA[i][p] * opBT[j][p])
            }
            let previous = beta == 0 ? 0 : Double(beta) * Double(c[i * n + j])
            values[i * n + j] = Double(alpha) * sum + previous
            scale[i * n + j] = abs(Double(alpha)) * magnitude + abs(previous) + 1e-30
        }
    }
    return (values, scale)
}

@Suite struct MatmulTests {
    static let shapes = [
        GemmShape(m: 1, n: 1, k: 1), GemmShape(m: 3, n: 5, k: 7), GemmShape(m: 17, n: 9, k: 13),
        GemmShape(m: 7, n: 3, k: 1), GemmShape(m: 1, n: 13, k: 4), GemmShape(m: 33, n: 1, k: 65),
    ]

    @Test(arguments: shapes, TransposePair.all)
    func gemm_onOddShapes_matchesDoubleReferenceAndNaive(shape: GemmShape, pair: TransposePair) {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        for (alpha, beta) in [(Float(1), Float(0)), (1.5, 0), (-0.75, 1), (1, 1), (0.5, -2)] {
            var rng = RNGStream(seed: UInt64(m * 10_000 + n * 100 + k), purpose: .custom)
            let a = Numerics.gaussianFloats(count: m * k, rng: &rng)
            let b = Numerics.gaussianFloats(count: k * n, rng: &rng)
            let c0 = Numerics.gaussianFloats(count: m * n, rng: &rng)
            let expected = reference(pair, shape, alpha: alpha, a: a, b: b, beta: beta, c: c0)

            var blas = c0
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    blas.withUnsafeMutableBufferPointer { cp in
                        Matmul.gemm(pair.a, pair.b, m: m, n: n, k: k, alpha: alpha, a: ap.baseAddress!,
                                    b: bp.baseAddress!, beta: beta, c: cp.baseAddress!)
                    }
                }
            }
            var naive = c0
            Naive.gemm(pair.a, pair.b, m: m, n: n, k: k, alpha: alpha, a: a, b: b, beta: beta, c: &naive)

            var worstBLAS = 0.0, worstNaive = 0.0
            for i in 0..<(m * n) {
                worstBLAS = max(worstBLAS, abs(Double(blas[i]) - expected.values[i]) / expected.scale[i])
                worstNaive = max(worstNaive, abs(Double(naive[i]) - expected.values[i]) / expected.scale[i])
            }
            // Float accumulation over k ≤ 65 terms: error ≲ k·2⁻²⁴ relative to Σ|terms|.
            #expect(worstBLAS < 1e-5, "alpha \(alpha) beta \(beta): BLAS error \(worstBLAS)")
            #expect(worstNaive < 1e-6, "alpha \(alpha) beta \(beta): Naive error \(worstNaive)")
        }
    }

    @Test(arguments: TransposePair.all)
    func gemm_withBetaZero_overwritesNaNInOutput(pair: TransposePair) {
        let (m, n, k) = (3, 4, 2)
        let a: [Float] = [1, 2, 3, 4, 5, 6], b: [Float] = [1, 0, -1, 2, 0.5, 1, 1, -1]
        var c = [Float](repeating: .nan, count: m * n)
        var naive = c
        Naive.gemm(pair.a, pair.b, m: m, n: n, k: k, a: a, b: b, beta: 0, c: &naive)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Matmul.gemm(pair.a, pair.b, m: m, n: n, k: k, a: ap.baseAddress!, b: bp.baseAddress!, beta: 0, c: cp.baseAddress!)
                }
            }
        }
        let expected = reference(pair, GemmShape(m: m, n: n, k: k), alpha: 1, a: a, b: b, beta: 0, c: c)
        for i in 0..<(m * n) {
            #expect(Double(c[i]) == expected.values[i], "BLAS entry \(i)")
            #expect(Double(naive[i]) == expected.values[i], "Naive entry \(i)")
        }
    }

    @Test func gemm_plainProductOfSmallIntegers_equalsHandResult() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]; added to C = [1 1; 1 1] with beta 1, alpha 2.
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c: [Float] = [1, 1, 1, 1]
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Matmul.gemm(.none, .none, m: 2, n: 2, k: 2, alpha: 2, a: ap.baseAddress!, b: bp.baseAddress!, beta: 1, c: cp.baseAddress!)
                }
            }
        }
        #expect(c == [39, 45, 87, 101])
    }

    @Test(arguments: [0, 1, 7, 1_000])
    func axpy_matchesElementwiseLoop(count: Int) {
        var rng = RNGStream(seed: UInt64(count) + 1, purpose: .custom)
        let x = Numerics.gaussianFloats(count: count, rng: &rng)
        let y0 = Numerics.gaussianFloats(count: count, rng: &rng)
        let alpha: Float = -1.25
        var y = y0
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if count > 0 { Matmul.axpy(count: count, alpha: alpha, x: xp.baseAddress!, y: yp.baseAddress!) }
            }
        }
        for i in 0..<count {
            let exact = Double(y0[i]) + Double(alpha) * Double(x[i])
            let scale = abs(Double(y0[i])) + abs(Double(alpha) * Double(x[i]))
            #expect(abs(Double(y[i]) - exact) <= 2e-7 * scale, "element \(i)")
        }
    }
}
