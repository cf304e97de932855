/// Euclidean projection onto the probability simplex Δ = {p : p_i ≥ 0, Σ p_i = 1}.
///
/// The sort-based method (Held, Wolfe & Crowder 1974; Duchi et al., ICML 2008): sort u descending,
/// take the largest j with u_j − (Σ_{r≤j} u_r − 1)/j > 0, θ = (Σ_{r≤j} u_r − 1)/j, and return
/// max(u − θ, 0). Used by max-players constrained to the simplex (class or group weights).
public enum SimplexProjection {
    /// The point of the simplex closest to `u` (in Double, for accuracy on small vectors).
    ///
    /// - Complexity: O(n log n).
    public static func project(_ u: [Double]) -> [Double] {
        precondition(!u.isEmpty, "cannot project an empty vector onto the simplex")
        let sorted = u.sorted(by: >)
        var cumulative = 0.0, theta = 0.0
        for (index, value) in sorted.enumerated() {
            cumulative += value
            let candidate = (cumulative - 1) / Double(index + 1)
            if value - candidate > 0 { theta = candidate }
        }
        return u.map { max($0 - theta, 0) }
    }
}

extension SimplexProjection {
    /// Projects `values` in place (Float storage, Double arithmetic), without heap allocation, so a
    /// training loop may call it after every step.
    public static func project(inPlace values: UnsafeMutableBufferPointer<Float>) {
        precondition(!values.isEmpty, "cannot project an empty vector onto the simplex")
        withUnsafeTemporaryAllocation(of: Double.self, capacity: values.count) { scratch in
            var sorted = scratch
            for i in values.indices { sorted[i] = Double(values[i]) }
            sorted.sort(by: >)
            var cumulative = 0.0, theta = 0.0
            for index in sorted.indices {
                cumulative += sorted[index]
                let candidate = (cumulative - 1) / Double(index + 1)
                if sorted[index] - candidate > 0 { theta = candidate }
            }
            for i in values.indices { values[i] = Float(max(Double(values[i]) - theta, 0)) }
        }
    }
}
