import FedCore
import FedModels

/// One client's oracles as FedNest's code computes them: over every row of the client's level
/// (full local gradients and Hessian products), with minibatches only inside local epochs.
struct NestOracle {
    let problem: any BilevelProblem
    let data: DatasetShard

    var p: Int { problem.upperCount }
    var q: Int { problem.lowerCount }

    func fullGradient(_ level: BilevelLevel, _ point: [Float], rng: inout RNGStream) -> [Float] {
        problem.gradient(level, parameters: point, rows: problem.rows(of: level, in: data), data: data.base, rng: &rng).gradient
    }

    /// ∇_y of the level's loss.
    func gradY(_ level: BilevelLevel, _ point: [Float], rng: inout RNGStream) -> [Float] {
        Array(fullGradient(level, point, rng: &rng)[p...])
    }

    /// ∇_x of the level's loss.
    func gradX(_ level: BilevelLevel, _ point: [Float], rng: inout RNGStream) -> [Float] {
        Array(fullGradient(level, point, rng: &rng)[0..<p])
    }

    /// ∇²_yy g_i · v.
    func hessianTimes(_ point: [Float], _ v: [Float], rng: inout RNGStream) -> [Float] {
        problem.lowerSecondOrder(parameters: point, rows: problem.rows(of: .lower, in: data), data: data.base, direction: v, rng: &rng).hvp
    }

    /// h_i = ∇_x f_i − η ∇²_xy g_i · p, with p the Neumann partial sum (the η of the series applied here).
    func hypergradient(_ point: [Float], neumannSum pSum: [Float], eta: Float, rng: inout RNGStream) -> [Float] {
        let direct = gradX(.upper, point, rng: &rng)
        let jvp = problem.lowerSecondOrder(parameters: point, rows: problem.rows(of: .lower, in: data), data: data.base,
                                           direction: pSum, rng: &rng).jvp
        return (0..<p).map { direct[$0] - eta * jvp[$0] }
    }

    /// b + Σ_{j=1..N} (I − ηH_i)^j b with the client's own Hessian (LFedNest's local series).
    func localNeumannSum(_ point: [Float], _ b: [Float], terms: Int, eta: Float, rng: inout RNGStream) -> [Float] {
        var c = b, sum = b
        for _ in 0..<terms {
            let hc = hessianTimes(point, c, rng: &rng)
            for i in 0..<q {
                c[i] -= eta * hc[i]
                sum[i] += c[i]
            }
        }
        return sum
    }

    /// `epochs` passes of minibatch steps on y over the client's lower rows, from the point's y.
    /// With `svrgMean` (q̄) each step is SVRG's y_i ← y_i − β(∇g(y_i; ζ) − ∇g(y; ζ) + q̄), y the
    /// round's starting point; without it, plain SGD.
    func localLowerEpochs(from point: [Float], epochs: Int, batch: Int, lr: Float, svrgMean: [Float]?,
                          rng: inout RNGStream) -> [Float] {
        var current = point
        var rows = problem.rows(of: .lower, in: data)
        for _ in 0..<epochs {
            rng.shuffle(&rows)
            var start = 0
            while start < rows.count {
                let minibatch = Array(rows[start..<min(start + batch, rows.count)]).sorted()
                start += batch
                // Both SVRG gradients see the same noise draw, as they see the same minibatch.
                var mirrored = rng
                let g = problem.gradient(.lower, parameters: current, rows: minibatch, data: data.base, rng: &rng).gradient
                if let svrgMean {
                    let anchor = problem.gradient(.lower, parameters: point, rows: minibatch, data: data.base, rng: &mirrored).gradient
                    for i in 0..<q { current[p + i] -= lr * (g[p + i] - anchor[p + i] + svrgMean[i]) }
                } else {
                    for i in 0..<q { current[p + i] -= lr * g[p + i] }
                }
            }
        }
        return Array(current[p...])
    }
}
