import FedCore
import FedTestSupport
import Testing

/// The CSR kernel against its naive twin, its determinism across threads, and the Kipf normalisation.
@Suite struct SparseMatrixTests {
    /// A random rows x columns matrix with about `density` of its entries set, from `seed`.
    func randomMatrix(rows: Int, columns: Int, density: Double, seed: UInt64) throws -> SparseMatrix {
        var rng = RNGStream(seed: seed, purpose: .custom)
        var entries = [SparseMatrix.Entry]()
        for row in 0..<rows {
            for column in 0..<columns where rng.nextUnitDouble() < density {
                entries.append(.init(row: row, column: column, value: Float(rng.nextGaussian())))
            }
        }
        return try SparseMatrix(rowCount: rows, columnCount: columns, entries: entries)
    }

    func randomDense(_ count: Int, seed: UInt64) -> [Float] {
        var rng = RNGStream(seed: seed, purpose: .custom, round: 1)
        return (0..<count).map { _ in Float(rng.nextGaussian()) }
    }

    @Test(arguments: [(1, 1, 1), (5, 3, 7), (17, 29, 1), (33, 8, 33), (64, 100, 16), (3, 50, 65)])
    func multiply_matchesTheNaiveProduct_onOddShapes(rows: Int, columns: Int, width: Int) throws {
        for seed: UInt64 in 1...5 {
            let matrix = try randomMatrix(rows: rows, columns: columns, density: 0.3, seed: seed)
            let dense = randomDense(columns * width, seed: seed)
            let fast = matrix.multiply(dense, width: width)
            let reference = Naive.sparseMultiply(matrix, dense, width: width)
            for (a, b) in zip(fast, reference) {
                #expect(abs(a - b) <= 1e-5 * max(1, abs(b)), "seed \(seed): \(a) vs \(b)")
            }
        }
    }

    @Test func multiply_givesTheSameBits_forAnyNumberOfThreads() throws {
        let matrix = try randomMatrix(rows: 301, columns: 77, density: 0.1, seed: 9)
        let dense = randomDense(77 * 19, seed: 9)
        let single = matrix.multiply(dense, width: 19, threads: 1)
        for threads in [2, 3, 8, 1000] {
            #expect(matrix.multiply(dense, width: 19, threads: threads) == single, "threads \(threads)")
        }
    }

    @Test func multiply_accumulating_addsToTheOutput() throws {
        let matrix = try randomMatrix(rows: 6, columns: 4, density: 0.5, seed: 3)
        let dense = randomDense(4 * 3, seed: 3)
        var out = [Float](repeating: 1, count: 18)
        dense.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { matrix.multiply(input.baseAddress!, width: 3, into: $0.baseAddress!, accumulate: true) }
        }
        let product = matrix.multiply(dense, width: 3)
        #expect(zip(out, product).allSatisfy { abs($0 - ($1 + 1)) < 1e-6 })
    }

    @Test func transposed_isTheTransposeOfTheDenseForm() throws {
        let matrix = try randomMatrix(rows: 7, columns: 11, density: 0.3, seed: 4)
        let dense = matrix.dense(), transposedDense = matrix.transposed().dense()
        for row in 0..<7 {
            for column in 0..<11 { #expect(transposedDense[column * 7 + row] == dense[row * 11 + column]) }
        }
        #expect(matrix.transposed().transposed() == matrix)
    }

    @Test func duplicateEntries_areSummed_andUnorderedEntriesSorted() throws {
        let matrix = try SparseMatrix(rowCount: 2, columnCount: 3, entries: [
            .init(row: 1, column: 2, value: 1), .init(row: 0, column: 1, value: 2), .init(row: 1, column: 2, value: 0.5),
            .init(row: 1, column: 0, value: 3),
        ])
        #expect(matrix.rowStarts == [0, 1, 3])
        #expect(matrix.columns == [1, 0, 2])
        #expect(matrix.values == [2, 3, 1.5])
    }

    @Test func badEntries_andBadCSRArrays_areRejected() {
        #expect(throws: SparseMatrix.BuildError.outOfRange(row: 2, column: 0, rows: 2, columns: 2)) {
            try SparseMatrix(rowCount: 2, columnCount: 2, entries: [.init(row: 2, column: 0, value: 1)])
        }
        #expect(throws: SparseMatrix.BuildError.nonFinite(row: 0, column: 1)) {
            try SparseMatrix(rowCount: 2, columnCount: 2, entries: [.init(row: 0, column: 1, value: .nan)])
        }
        #expect(throws: SparseMatrix.BuildError.self) {  // columns not ascending
            try SparseMatrix(rowCount: 1, columnCount: 3, rowStarts: [0, 2], columns: [2, 1], values: [1, 1])
        }
        #expect(throws: SparseMatrix.BuildError.self) {  // starts do not cover the arrays
            try SparseMatrix(rowCount: 2, columnCount: 3, rowStarts: [0, 1], columns: [0], values: [1])
        }
    }

    /// Path 0 – 1 – 2 plus isolated node 3: with self-loops the degrees are 2, 3, 2, 1, so
    /// Â_01 = 1/√6, Â_11 = 1/3, Â_00 = 1/2 and Â_33 = 1 (worked by hand).
    @Test func normalizedAdjacency_matchesAHandComputedExample() throws {
        let edges = [GraphEdge(0, 1)!, GraphEdge(2, 1)!]
        let a = SparseMatrix.normalizedAdjacency(nodeCount: 4, edges: edges).dense()
        let expected: [Float] = [
            1.0 / 2, 1 / Float(6).squareRoot(), 0, 0,
            1 / Float(6).squareRoot(), 1.0 / 3, 1 / Float(6).squareRoot(), 0,
            0, 1 / Float(6).squareRoot(), 1.0 / 2, 0,
            0, 0, 0, 1,
        ]
        for (x, y) in zip(a, expected) { #expect(abs(x - y) < 1e-6) }
        #expect(GraphEdge(3, 3) == nil)
        #expect(GraphEdge(5, 2) == GraphEdge(2, 5))
    }
}
