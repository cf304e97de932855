/// Gossip weights W for decentralized algorithms (optimization spec §0.4 "Mixing matrices", §4.1).
///
/// One gossip step replaces node i's vector by Mix(v)_i = Σ_j w_ij v_j. W is symmetric and doubly
/// stochastic with w_ij > 0 only on edges and the diagonal, so gossip keeps the network average and,
/// on a connected graph, contracts every node towards it by a factor ρ per step, where
///
///     ρ = ‖W − 11ᵀ/n‖₂ = max{ |λ| : λ an eigenvalue of W other than the one for the vector 1 }
///
/// is the second largest eigenvalue magnitude of W. The spectral gap is 1 − ρ: larger is faster mixing.
/// Connected ⇔ ρ < 1 for the Metropolis–Hastings weights built here (their diagonal is positive, so
/// −1 is never an eigenvalue and only a second component can give |λ| = 1).
public struct MixingMatrix: Sendable, Equatable {
    /// The number of nodes n.
    public let nodeCount: Int
    /// W, [n, n], row-major: `weights[i * n + j]` = w_ij.
    public let weights: [Double]

    /// The weight node i gives to node j's vector in one gossip step.
    public func weight(_ i: Int, _ j: Int) -> Double {
        precondition((0..<nodeCount).contains(i) && (0..<nodeCount).contains(j),
                     "weight(\(i), \(j)) outside a \(nodeCount)-node mixing matrix")
        return weights[i * nodeCount + j]
    }

    /// Metropolis–Hastings weights on `graph`.
    ///
    ///     w_ij = 1 / (1 + max(deg_i, deg_j))   for each edge {i, j}
    ///     w_ii = 1 − Σ_{j≠i} w_ij
    ///     w_ij = 0                              otherwise
    ///
    /// On regular graphs this is the uniform rule of the spec, exactly: ring 1/3, 2-D torus 1/5,
    /// complete 1/n, diagonal included. The diagonal is evaluated as
    /// w_ii = 1/(1 + deg_i) + Σ_j (1/(1 + deg_i) − w_ij), which equals 1 − Σ_j w_ij but has no
    /// cancellation: every term is ≥ 0 (w_ij ≤ 1/(1 + deg_i)) and each vanishes exactly when
    /// deg_j ≤ deg_i, so w_ii ≥ 1/(1 + deg_i) > 0 always and regular graphs get the exact value
    /// (1 − 2/3 in floating point is not the double nearest 1/3). Rows sum to 1 up to rounding.
    ///
    /// - Complexity: O(n²) memory and time (dense storage).
    public static func metropolisHastings(_ graph: PeerGraph) -> MixingMatrix {
        let n = graph.nodeCount
        var w = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            let own = 1 / Double(1 + graph.degree(i))
            var diagonal = own
            for j in graph.neighbours[i] {  // ascending, so the summation order is fixed
                let wij = 1 / Double(1 + max(graph.degree(i), graph.degree(j)))
                w[i * n + j] = wij
                diagonal += own - wij
            }
            w[i * n + i] = diagonal
        }
        return MixingMatrix(nodeCount: n, weights: w)
    }

    /// The lazy version (I + W)/2: the same graph and fixed points, every eigenvalue moved into [0, 1].
    ///
    /// Plain Metropolis–Hastings weights can have eigenvalues near −1 (a 4 × 4 torus has −0.6), which
    /// make gradient-tracking iterations oscillate and, with large steps, diverge; halving the step
    /// towards the neighbours removes the negative part of the spectrum at the cost of slower mixing.
    public func lazy() -> MixingMatrix {
        let n = nodeCount
        var w = weights.map { $0 / 2 }
        for i in 0..<n { w[i * n + i] += 0.5 }
        return MixingMatrix(nodeCount: n, weights: w)
    }

    // MARK: - Spectrum

    /// The eigenvalues of W, largest first (the first is 1 for a doubly stochastic W).
    ///
    /// - Complexity: O(n³) per Jacobi sweep; recomputed on every call.
    public var eigenvalues: [Double] { SymmetricEigen.eigenvalues(weights, n: nodeCount) }

    /// ρ = ‖W − 11ᵀ/n‖₂, the second largest eigenvalue magnitude of W (the spec's ρ).
    ///
    /// Computed as the largest |λ| of the symmetric matrix W − 11ᵀ/n, which has the spectrum of W with
    /// the eigenvalue 1 of the vector 1 replaced by 0. Hence ρ = 0 for the complete graph, ρ < 1 exactly
    /// when the graph is connected, and ρ = 1 (up to rounding, ~1e-15) when it is not. Consensus error
    /// shrinks like ρ^t after t gossip steps. Not to be confused with the spectral gap, which is 1 − ρ.
    ///
    /// - Complexity: O(n³) per Jacobi sweep; recomputed on every call, so cache it in loops.
    public var rho: Double {
        let n = nodeCount
        let mean = 1 / Double(n)
        var centred = weights
        for k in centred.indices { centred[k] -= mean }
        let spectrum = SymmetricEigen.eigenvalues(centred, n: n)
        // Sorted descending, so the largest magnitude is at one of the two ends.
        return max(abs(spectrum.first ?? 0), abs(spectrum.last ?? 0))
    }

    /// The spectral gap 1 − ρ (see `rho`): in (0, 1] for connected graphs, 0 for disconnected ones.
    ///
    /// - Complexity: that of `rho`.
    public var spectralGap: Double { 1 - rho }
}
