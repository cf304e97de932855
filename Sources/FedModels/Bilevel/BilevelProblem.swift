import FedCore

/// Which of a bilevel problem's two losses an oracle call is about.
public enum BilevelLevel: Sendable {
    /// g: the lower-level loss, minimised over y for a fixed x.
    case lower
    /// f: the upper-level loss, whose value at (x, y*(x)) is the objective Φ(x).
    case upper
}

/// A bilevel problem min_x Φ(x) = F(x, y*(x)), y*(x) = argmin_y G(x, y), split across clients:
/// each client holds rows that define its own f_i and g_i.
///
/// Parameters are one flat buffer, x (the upper variable, `upperCount` scalars) first and y (the
/// lower variable, `lowerCount` scalars) after it, so the usual checkpoint, model file and
/// evaluation machinery apply. Bilevel algorithms reach the problem only through the oracles
/// below: first-order gradients of either level on a set of rows, and the lower level's
/// Hessian–vector and Jacobian–vector products.
public protocol BilevelProblem: DifferentiableModel {
    /// p, the scalars of x.
    var upperCount: Int { get }
    /// q, the scalars of y.
    var lowerCount: Int { get }

    /// The rows of `shard` (indices into `shard.base`) that enter the loss of `level`; for data
    /// problems the lower level trains on one part of a client's rows and the upper level
    /// validates on the other.
    func rows(of level: BilevelLevel, in shard: DatasetShard) -> [Int]

    /// The mean loss of `level` over `rows` of `data`, and its gradient with respect to (x, y)
    /// (p + q values, x part first). `rng` feeds oracle noise where the problem defines any.
    func gradient(_ level: BilevelLevel, parameters: [Float], rows: [Int], data: Dataset,
                  rng: inout RNGStream) -> (loss: Double, gradient: [Float])

    /// ∇²_yy g · v (q values) and ∇²_xy g · v (p values) of the lower loss over `rows`, for a
    /// direction v in y-space (q values).
    func lowerSecondOrder(parameters: [Float], rows: [Int], data: Dataset, direction: [Float],
                          rng: inout RNGStream) -> (hvp: [Float], jvp: [Float])
}

extension BilevelProblem {
    /// Rows tagged domain 1 (validation) feed the upper level and every other row the lower level
    /// (tag 0 clean training rows, tag 2 training rows with corrupted labels; see `BilevelData`); a
    /// data set without tags uses every row for both.
    public func rows(of level: BilevelLevel, in shard: DatasetShard) -> [Int] {
        guard !shard.base.domains.isEmpty else { return shard.indices }
        let domains = shard.base.domains
        switch level {
        case .upper: return shard.indices.filter { domains[$0] == BilevelData.validationTag }
        case .lower: return shard.indices.filter { domains[$0] != BilevelData.validationTag }
        }
    }

    /// Up to `batch` of the level's rows, drawn without replacement (all of them when `batch` is nil
    /// or not smaller), in ascending order so sums run in a fixed order.
    public func sampleRows(_ level: BilevelLevel, in shard: DatasetShard, batch: Int?, rng: inout RNGStream) -> [Int] {
        let all = rows(of: level, in: shard)
        guard let batch, batch < all.count else { return all }
        return rng.sample(batch, from: all.count).sorted().map { all[$0] }
    }

    /// Central differences of the lower gradient along v (spec §0.4):
    /// HVP ≈ (∇_y g(x, y + e v) − ∇_y g(x, y − e v)) / 2e, JVP likewise with ∇_x g, where
    /// e = 1e-3 · max(1, ‖y‖) / max(‖v‖, 1e-12). Both sides draw the same oracle noise, so it cancels.
    public func finiteDifferenceSecondOrder(parameters: [Float], rows: [Int], data: Dataset, direction: [Float],
                                            rng: inout RNGStream) -> (hvp: [Float], jvp: [Float]) {
        let p = upperCount, q = lowerCount
        precondition(direction.count == q, "direction has \(direction.count) values, y has \(q)")
        var yNorm = 0.0, vNorm = 0.0
        for i in 0..<q {
            yNorm += Double(parameters[p + i]) * Double(parameters[p + i])
            vNorm += Double(direction[i]) * Double(direction[i])
        }
        let e = 1e-3 * max(1, yNorm.squareRoot()) / max(vNorm.squareRoot(), 1e-12)
        var plus = parameters, minus = parameters
        for i in 0..<q {
            plus[p + i] = Float(Double(parameters[p + i]) + e * Double(direction[i]))
            minus[p + i] = Float(Double(parameters[p + i]) - e * Double(direction[i]))
        }
        var mirrored = rng
        let high = gradient(.lower, parameters: plus, rows: rows, data: data, rng: &rng).gradient
        let low = gradient(.lower, parameters: minus, rows: rows, data: data, rng: &mirrored).gradient
        // The step actually taken in Float, per coordinate, would differ slightly from e; dividing by
        // 2e is the standard estimate and its error is far below the oracle's own.
        let scale = 1 / (2 * e)
        let jvp = (0..<p).map { Float(Double(high[$0] - low[$0]) * scale) }
        let hvp = (0..<q).map { Float(Double(high[p + $0] - low[p + $0]) * scale) }
        return (hvp, jvp)
    }

    public func lowerSecondOrder(parameters: [Float], rows: [Int], data: Dataset, direction: [Float],
                                 rng: inout RNGStream) -> (hvp: [Float], jvp: [Float]) {
        finiteDifferenceSecondOrder(parameters: parameters, rows: rows, data: data, direction: direction, rng: &rng)
    }

    /// The x part of a flat parameter buffer.
    public func upperPart(_ parameters: [Float]) -> [Float] { Array(parameters[0..<upperCount]) }
    /// The y part of a flat parameter buffer.
    public func lowerPart(_ parameters: [Float]) -> [Float] { Array(parameters[upperCount..<(upperCount + lowerCount)]) }
}
