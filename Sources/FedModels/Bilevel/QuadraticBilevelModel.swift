import FedCore

/// The quadratic bilevel problem of `QuadraticBilevel` with exact oracles: parameters x [p], y [q];
/// each client's one data row holds its (A_i, B_i, c_i).
///
/// Oracles add N(0, σ²) noise to every coordinate they return when `noise` σ > 0 (spec §3.9
/// claim 1 uses σ = 0.5), drawn from the caller's stream, so runs stay reproducible.
public struct QuadraticBilevelModel: BilevelProblem, ScorelessModel {
    public let upperCount: Int
    public let lowerCount: Int
    /// λ in f_i's (λ/2)‖x‖².
    public let upperRegularization: Double
    /// σ, the standard deviation of the oracle noise.
    public let noise: Double
    public let layout: ParameterLayout

    public init(upper p: Int, lower q: Int, upperRegularization: Double = 0.1, noise: Double = 0) {
        precondition(p > 0 && q > 0, "both levels need at least one variable")
        upperCount = p
        lowerCount = q
        self.upperRegularization = upperRegularization
        self.noise = noise
        layout = ParameterLayout([("x", [p]), ("y", [q])])
    }

    public var inputDimension: Int { QuadraticBilevel.rowWidth(upper: upperCount, lower: lowerCount) }
    public var classCount: Int { 2 }

    /// x and y start at the origin.
    public func initialParameters(rng: inout RNGStream) -> [Float] { [Float](repeating: 0, count: upperCount + lowerCount) }

    /// The lower loss and its gradient (only bilevel algorithms train this model; see `gradient`).
    public func lossAndGradient(
        parameters: UnsafeBufferPointer<Float>, x rows: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int,
        gradient: UnsafeMutableBufferPointer<Float>, workspace: ModelWorkspace
    ) -> Float {
        let data = Dataset(features: Array(UnsafeBufferPointer(start: rows, count: batch * inputDimension)),
                           labels: [Int32](repeating: 0, count: batch), dimension: inputDimension, classCount: 2)
        var silent = RNGStream(seed: 0, purpose: .custom)
        let exact = QuadraticBilevelModel(upper: upperCount, lower: lowerCount, upperRegularization: upperRegularization)
        let (loss, g) = exact.gradient(.lower, parameters: Array(parameters), rows: Array(0..<batch), data: data, rng: &silent)
        for i in 0..<g.count { gradient[i] += g[i] }
        return Float(loss)
    }

    /// Views of one coefficient row.
    struct Row {
        let values: ArraySlice<Float>
        let p: Int, q: Int
        func a(_ i: Int, _ j: Int) -> Double { Double(values[values.startIndex + i * q + j]) }
        func b(_ i: Int, _ j: Int) -> Double { Double(values[values.startIndex + q * q + i * p + j]) }
        func c(_ i: Int) -> Double { Double(values[values.startIndex + q * q + q * p + i]) }
    }

    func row(_ index: Int, of data: Dataset) -> Row {
        Row(values: data.features[(index * data.dimension)..<((index + 1) * data.dimension)], p: upperCount, q: lowerCount)
    }

    public func gradient(_ level: BilevelLevel, parameters: [Float], rows: [Int], data: Dataset,
                         rng: inout RNGStream) -> (loss: Double, gradient: [Float]) {
        let p = upperCount, q = lowerCount
        let x = parameters[0..<p].map(Double.init), y = parameters[p..<(p + q)].map(Double.init)
        var grad = [Double](repeating: 0, count: p + q)
        var loss = 0.0
        for index in rows {
            let r = row(index, of: data)
            switch level {
            case .lower:  // ∇_x g = −B_iᵀy, ∇_y g = A_i y − B_i x
                for i in 0..<q {
                    var ay = 0.0, bx = 0.0
                    for j in 0..<q { ay += r.a(i, j) * y[j] }
                    for j in 0..<p { bx += r.b(i, j) * x[j]; grad[j] -= r.b(i, j) * y[i] }
                    grad[p + i] += ay - bx
                    loss += 0.5 * y[i] * ay - y[i] * bx
                }
            case .upper:  // ∇_x f = λx, ∇_y f = y − c_i
                for j in 0..<p { grad[j] += upperRegularization * x[j]; loss += 0.5 * upperRegularization * x[j] * x[j] }
                for i in 0..<q { grad[p + i] += y[i] - r.c(i); loss += 0.5 * (y[i] - r.c(i)) * (y[i] - r.c(i)) }
            }
        }
        let m = Double(max(rows.count, 1))
        return (loss / m, grad.map { Float($0 / m + noiseDraw(&rng)) })
    }

    /// Exact: ∇²_yy g_i v = A_i v and ∇²_xy g_i v = −B_iᵀv.
    public func lowerSecondOrder(parameters: [Float], rows: [Int], data: Dataset, direction: [Float],
                                 rng: inout RNGStream) -> (hvp: [Float], jvp: [Float]) {
        let p = upperCount, q = lowerCount
        var hvp = [Double](repeating: 0, count: q), jvp = [Double](repeating: 0, count: p)
        for index in rows {
            let r = row(index, of: data)
            for i in 0..<q {
                let v = Double(direction[i])
                for j in 0..<q { hvp[i] += r.a(i, j) * Double(direction[j]) }
                for j in 0..<p { jvp[j] -= r.b(i, j) * v }
            }
        }
        let m = Double(max(rows.count, 1))
        return (hvp.map { Float($0 / m + noiseDraw(&rng)) }, jvp.map { Float($0 / m + noiseDraw(&rng)) })
    }

    func noiseDraw(_ rng: inout RNGStream) -> Double { noise > 0 ? noise * rng.nextGaussian() : 0 }

    public var evaluationMetricNames: [String] { ["hypergrad_norm_sq", "lower_error"] }
    public var headlineMetric: (name: String, logarithmic: Bool) { ("hypergrad_norm_sq", true) }

    /// ‖∇Φ(x)‖² and ‖y − y*(x)‖ against the problems in `data` (the coordinator holds every client's row).
    public func evaluationMetrics(parameters: [Float], on data: Dataset, workspace: ModelWorkspace?) -> [String: Double] {
        let averages = QuadraticBilevel.averages(of: data, upper: upperCount, lower: lowerCount)
        let x = parameters[0..<upperCount].map(Double.init)
        let y = parameters[upperCount...].map(Double.init)
        let h = averages.hypergradient(x: x, upperRegularization: upperRegularization)
        let yStar = averages.lowerSolution(x: x)
        var lowerError = 0.0
        for i in 0..<lowerCount { lowerError += (y[i] - yStar[i]) * (y[i] - yStar[i]) }
        return ["test_loss": .nan, "test_accuracy": .nan,
                "hypergrad_norm_sq": h.reduce(0) { $0 + $1 * $1 }, "lower_error": lowerError.squareRoot()]
    }
}
