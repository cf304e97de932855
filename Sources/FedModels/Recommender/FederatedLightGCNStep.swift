import FedCore

/// One user's LightGCN in the federated form of spec §5.5 (K = 1 or 2), on the client's local rows.
///
/// The server keeps item aggregates built from every user's contributions,
/// `M1_i = Σ_{u∈N_i} p_u s_ui` and `M2_i = Σ_{u∈N_i} e1_u s_ui` with `s_ui = 1/sqrt(|N_u||N_i|)`.
/// For user u, with its positives N_u:
///
/// ```
/// e1_u = Σ_{i∈N_u} q_i s_ui        e2_u = Σ_{i∈N_u} M1_i s_ui
/// e_u  = mean(p_u, e1_u[, e2_u])    e_i = mean(q_i, M1_i[, M2_i])
/// loss = mean_b softplus(e_u·e_j − e_u·e_i) + λ·½(‖p_u‖² + ‖q_i‖² + ‖q_j‖²)/B
/// ```
///
/// The aggregates are constants here (no gradient flows to other users); they are one round stale.
/// Local layout: the user row [1, d], then the k item rows [k, d] (BPR-MF's).
public struct FederatedLightGCNStep: Sendable {
    public let layers: Int
    public let dimension: Int
    public let regularization: Float
    /// The user's positives as local rows, and s_ui for each.
    public let positives: [Int32]
    public let scales: [Float]
    /// M1 and M2 rows of the k local items, [k, d] each (M2 unused when K = 1).
    public let aggregate1: [Float]
    public let aggregate2: [Float]

    public init(layers: Int, dimension: Int, regularization: Float, positives: [Int32], scales: [Float], aggregate1: [Float],
                aggregate2: [Float]) {
        precondition(layers == 1 || layers == 2, "the federated LightGCN form has K = 1 or 2")
        precondition(positives.count == scales.count && aggregate1.count == aggregate2.count, "inconsistent local rows")
        self.layers = layers
        self.dimension = dimension
        self.regularization = regularization
        self.positives = positives
        self.scales = scales
        self.aggregate1 = aggregate1
        self.aggregate2 = aggregate2
    }

    /// e1_u from the local item rows (the user's layer-1 embedding, also its contribution to M2).
    public func firstLayer(_ parameters: [Float]) -> [Float] {
        let d = dimension
        var e1 = [Float](repeating: 0, count: d)
        for (item, s) in zip(positives, scales) {
            for k in 0..<d { e1[k] += parameters[d + Int(item) * d + k] * s }
        }
        return e1
    }

    /// The user's final embedding e_u.
    public func userEmbedding(_ parameters: [Float]) -> [Float] {
        let d = dimension, e1 = firstLayer(parameters)
        var e = (0..<d).map { parameters[$0] + e1[$0] }
        if layers == 2 {
            for (item, s) in zip(positives, scales) {
                for k in 0..<d { e[k] += aggregate1[Int(item) * d + k] * s }
            }
        }
        return e.map { $0 / Float(layers + 1) }
    }

    /// Item `item`'s final embedding e_i (local row).
    public func itemEmbedding(_ item: Int, _ parameters: [Float]) -> [Float] {
        var embedding = [Float](repeating: 0, count: dimension)
        itemEmbedding(item, parameters, into: &embedding)
        return embedding
    }

    /// e_i written into `out` (no allocation: the loss calls it per triple).
    func itemEmbedding(_ item: Int, _ parameters: [Float], into out: inout [Float]) {
        let d = dimension, count = Float(layers + 1)
        for k in 0..<d {
            let sum = parameters[d + item * d + k] + aggregate1[item * d + k] + (layers == 2 ? aggregate2[item * d + k] : 0)
            out[k] = sum / count
        }
    }

    /// Mean loss over `pairs` (positive, negative local rows); adds its gradient into `gradient`.
    public func lossAndGradient(pairs: [(positive: Int32, negative: Int32)], parameters: [Float], gradient: inout [Float]) -> Float {
        guard !pairs.isEmpty else { return 0 }
        let d = dimension, scale = 1 / Float(pairs.count), share = 1 / Float(layers + 1), lambda = regularization
        let eu = userEmbedding(parameters)
        var gu = [Float](repeating: 0, count: d), ei = gu, ej = gu
        var loss = 0.0
        for (i, j) in pairs {
            itemEmbedding(Int(i), parameters, into: &ei)
            itemEmbedding(Int(j), parameters, into: &ej)
            var x: Float = 0, norms: Float = 0
            for k in 0..<d {
                x += eu[k] * (ei[k] - ej[k])
                norms += parameters[k] * parameters[k] + parameters[d + Int(i) * d + k] * parameters[d + Int(i) * d + k]
                    + parameters[d + Int(j) * d + k] * parameters[d + Int(j) * d + k]
            }
            let term = BPRMatrixFactorization.pairTerm(x)
            loss += term.loss + 0.5 * Double(lambda * norms)
            let c = term.slope * scale
            for k in 0..<d {
                gu[k] += c * (ei[k] - ej[k])
                // e_i = (q_i + ...)/(K + 1): the item rows get their share of the item-side gradient.
                gradient[d + Int(i) * d + k] += c * eu[k] * share + lambda * scale * parameters[d + Int(i) * d + k]
                gradient[d + Int(j) * d + k] += -c * eu[k] * share + lambda * scale * parameters[d + Int(j) * d + k]
                gradient[k] += lambda * scale * parameters[k]
            }
        }
        // e_u = (p_u + e1_u + e2_u)/(K + 1); e1_u = Σ q_i s_ui brings the user-side gradient to the positives.
        for k in 0..<d { gradient[k] += gu[k] * share }
        for (item, s) in zip(positives, scales) {
            for k in 0..<d { gradient[d + Int(item) * d + k] += gu[k] * share * s }
        }
        return Float(loss / Double(pairs.count))
    }
}
