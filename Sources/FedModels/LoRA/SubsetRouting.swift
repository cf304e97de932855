import FedCore

/// Routing of one input over n LoRAs (spec `models-and-protocols.md` §3.2–3.5): the softmax of the
/// router's logits, ReMix's ordered draw of k distinct LoRAs without replacement with its
/// log-probability and score function, top-k, and MixLoRA's renormalised top-k weights.
public enum SubsetRouting {
    /// q = softmax(z), in Double (z: n logits).
    public static func softmax(_ z: UnsafePointer<Float>, count n: Int) -> [Double] {
        var top = -Double.infinity
        for i in 0..<n { top = max(top, Double(z[i])) }
        var q = (0..<n).map { libmExp(Double(z[$0]) - top) }
        let sum = q.reduce(0, +)
        for i in 0..<n { q[i] /= sum }
        return q
    }

    /// Draws k distinct indices in order: i_1 from q, then i_2 from q restricted to the rest and
    /// renormalised, and so on. One uniform per draw.
    public static func sampleWithoutReplacement(_ q: [Double], k: Int, rng: inout RNGStream) -> [Int] {
        precondition(k >= 1 && k <= q.count, "draw 1…\(q.count) of \(q.count)")
        var taken = [Bool](repeating: false, count: q.count)
        var chosen = [Int]()
        chosen.reserveCapacity(k)
        var remaining = 1.0
        for _ in 0..<k {
            let target = rng.nextUnitDouble() * remaining
            var cumulative = 0.0, pick = -1
            for i in q.indices where !taken[i] {
                cumulative += q[i]
                pick = i
                if cumulative > target { break }
            }
            taken[pick] = true
            chosen.append(pick)
            remaining = max(remaining - q[pick], 0)
        }
        return chosen
    }

    /// log Q(I) = Σ_j log( q_{i_j} / (1 − Σ_{j'<j} q_{i_j'}) ), with 1 − S clamped at 1e−12.
    public static func logProbability(_ q: [Double], ordered: [Int]) -> Double {
        var used = 0.0, total = 0.0
        for i in ordered {
            total += libmLog(q[i]) - libmLog(max(1 - used, 1e-12))
            used += q[i]
        }
        return total
    }

    /// ∂ log Q / ∂z_b = Σ_j ( [b = i_j] − [b ∉ {i_1…i_{j−1}}] · q_b / (1 − S_j) ): each factor is a
    /// softmax over the LoRAs not chosen yet. Added into `score` (n values).
    public static func addScore(_ q: [Double], ordered: [Int], into score: inout [Double]) {
        var taken = [Bool](repeating: false, count: q.count)
        var used = 0.0
        for i in ordered {
            let rest = max(1 - used, 1e-12)
            for b in q.indices where !taken[b] { score[b] -= q[b] / rest }
            score[i] += 1
            taken[i] = true
            used += q[i]
        }
    }

    /// The k largest entries, largest first; equal values keep the lower index first.
    public static func topK(_ values: [Double], k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(k))
    }
}

/// The leave-one-out REINFORCE estimator (Kool et al. 2019) ReMix trains its router with:
/// G = (1/(M−1)) Σ_m (L_m − L̄) ∇ log Q(J_m), unbiased for ∇ E_{J∼Q}[L(J)] when the M selections are
/// independent. The loss is the negative reward, so G is descended.
public enum LeaveOneOutEstimator {
    /// G from the M losses and the M score vectors (each n values).
    public static func gradient(losses: [Double], scores: [[Double]]) -> [Double] {
        let m = losses.count
        precondition(m >= 2 && scores.count == m, "RLOO needs M ≥ 2 selections, each with a score")
        let mean = losses.reduce(0, +) / Double(m)
        var g = [Double](repeating: 0, count: scores[0].count)
        for (loss, score) in zip(losses, scores) {
            let weight = (loss - mean) / Double(m - 1)
            for b in g.indices { g[b] += weight * score[b] }
        }
        return g
    }
}
