import FedCore

/// The two-player quadratic game of `QuadraticSaddle` as a trainable model: parameters `x` [d]
/// (min player) then `y` [d] (max player); each data row holds one client's coefficients.
///
/// Gradients come in descent form for both players, so every descent-based local trainer plays
/// gradient descent–ascent: the x part is ∇_x f = A x + B y + a, the y part is −∇_y f = −Bᵀx + C y + c.
/// The reported loss is f itself (mean over the rows of the batch).
public struct QuadraticSaddleModel: ScorelessModel {
    public let dimension: Int
    public let layout: ParameterLayout

    public init(dimension: Int) {
        precondition(dimension > 0, "the game needs a positive dimension")
        self.dimension = dimension
        layout = ParameterLayout([("x", [dimension]), ("y", [dimension])])
    }

    public var inputDimension: Int { QuadraticSaddle.rowWidth(dimension: dimension) }
    public var classCount: Int { 2 }
    /// Scalars of the min player (x) and the max player (y).
    public var minPlayer: Range<Int> { 0..<dimension }
    public var maxPlayer: Range<Int> { dimension..<(2 * dimension) }

    /// Both players start at the origin.
    public func initialParameters(rng: inout RNGStream) -> [Float] { [Float](repeating: 0, count: 2 * dimension) }

    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x rows: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        let d = dimension, width = inputDimension
        var total = 0.0
        for row in 0..<batch {
            let v = rows + row * width
            let (a, b, c, la, lc) = (v, v + d * d, v + 2 * d * d, v + 3 * d * d, v + 3 * d * d + d)
            for i in 0..<d {
                var gx = Double(la[i]), gy = Double(lc[i])  // ∇_x f_i and −∇_y f_i, accumulated below
                for j in 0..<d {
                    let xj = Double(parameters[j]), yj = Double(parameters[d + j])
                    gx += Double(a[i * d + j]) * xj + Double(b[i * d + j]) * yj
                    gy += -Double(b[j * d + i]) * xj + Double(c[i * d + j]) * yj
                }
                gradient[i] += Float(gx / Double(batch))
                gradient[d + i] += Float(gy / Double(batch))
            }
            total += value(v, parameters)
        }
        return Float(total / Double(batch))
    }

    /// f_i(x, y) for one row.
    func value(_ v: UnsafePointer<Float>, _ p: UnsafeBufferPointer<Float>) -> Double {
        let d = dimension
        var f = 0.0
        for i in 0..<d {
            let xi = Double(p[i]), yi = Double(p[d + i])
            f += Double(v[3 * d * d + i]) * xi - Double(v[3 * d * d + d + i]) * yi
            for j in 0..<d {
                let xj = Double(p[j]), yj = Double(p[d + j])
                f += 0.5 * xi * Double(v[i * d + j]) * xj + xi * Double(v[d * d + i * d + j]) * yj
                    - 0.5 * yi * Double(v[2 * d * d + i * d + j]) * yj
            }
        }
        return f
    }

    public var maxPlayerRange: Range<Int>? { maxPlayer }
    public var evaluationMetricNames: [String] { ["saddle_distance"] }
    public var headlineMetric: (name: String, logarithmic: Bool) { ("saddle_distance", true) }

    /// `test_loss`: the global game's mean value; `saddle_distance`: ‖(x, y) − (x*, y*)‖ to the global
    /// saddle of the games in `data` (every client's row).
    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        let star = QuadraticSaddle.saddle(of: data)
        var distance = 0.0
        for (p, s) in zip(parameters, star) { distance += (Double(p) - s) * (Double(p) - s) }
        var value = 0.0
        data.features.withUnsafeBufferPointer { rows in
            parameters.withUnsafeBufferPointer { p in
                for row in 0..<data.count { value += self.value(rows.baseAddress! + row * inputDimension, p) }
            }
        }
        return ["test_loss": value / Double(max(data.count, 1)), "test_accuracy": .nan, "saddle_distance": distance.squareRoot()]
    }
}
