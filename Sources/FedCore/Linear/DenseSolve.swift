/// Small dense linear systems in Double, for closed-form reference answers (saddles, hypergradients).
///
/// Gauss–Jordan elimination with partial pivoting: O(n³), meant for n up to a few hundred.
public enum DenseSolve {
    /// Solves M X = R for X, where M is [n, n] and R is [n, columns], both row-major.
    public static func solve(_ matrix: [Double], _ rhs: [Double], n: Int, columns: Int = 1) -> [Double] {
        precondition(matrix.count == n * n && rhs.count == n * columns, "solve: M must be [n, n] and R [n, columns]")
        let width = n + columns
        var m = [Double](repeating: 0, count: n * width)  // augmented [M | R]
        for i in 0..<n {
            for j in 0..<n { m[i * width + j] = matrix[i * n + j] }
            for j in 0..<columns { m[i * width + n + j] = rhs[i * columns + j] }
        }
        for column in 0..<n {
            let pivot = (column..<n).max { abs(m[$0 * width + column]) < abs(m[$1 * width + column]) } ?? column
            if pivot != column { for k in 0..<width { m.swapAt(pivot * width + k, column * width + k) } }
            let p = m[column * width + column]
            for r in 0..<n where r != column {
                let factor = m[r * width + column] / p
                if factor != 0 { for k in column..<width { m[r * width + k] -= factor * m[column * width + k] } }
            }
        }
        var x = [Double](repeating: 0, count: n * columns)
        for i in 0..<n { for j in 0..<columns { x[i * columns + j] = m[i * width + n + j] / m[i * width + i] } }
        return x
    }
}
