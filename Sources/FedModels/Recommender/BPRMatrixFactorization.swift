import FedCore

/// BPR matrix factorisation (Rendle et al. 2009; spec `models-and-protocols.md` §5.2).
///
/// Parameters: user matrix P [users, d] and item matrix Q [items, d], row-major. Score
/// `ŷ_ui = p_uᵀ q_i`. For a triple (u, i⁺, j⁻), `x = ŷ_ui − ŷ_uj` and the loss is
/// `−ln σ(x) + (λ/2)(‖p_u‖² + ‖q_i‖² + ‖q_j‖²)`. With `c = σ(x) − 1`:
/// `∂p_u = c (q_i − q_j) + λ p_u`, `∂q_i = c p_u + λ q_i`, `∂q_j = −c p_u + λ q_j`.
/// A batch's loss is the mean over its triples; the gradients are of that mean.
public struct BPRMatrixFactorization: Sendable {
    public let userCount: Int
    public let itemCount: Int
    public let dimension: Int
    /// λ.
    public let regularization: Float

    public init(userCount: Int, itemCount: Int, dimension: Int, regularization: Float) {
        precondition(userCount > 0 && itemCount > 1 && dimension > 0, "BPR-MF needs users, two items and a positive dimension")
        self.userCount = userCount
        self.itemCount = itemCount
        self.dimension = dimension
        self.regularization = regularization
    }

    /// Gaussian initial factors, std 0.1 (spec default), users then items.
    public func initialFactors(rng: inout RNGStream) -> (users: [Float], items: [Float]) {
        let users = (0..<(userCount * dimension)).map { _ in Float(rng.nextGaussian() * 0.1) }
        let items = (0..<(itemCount * dimension)).map { _ in Float(rng.nextGaussian() * 0.1) }
        return (users, items)
    }

    /// One training triple: a user, an item it interacted with, and a sampled item it did not.
    public struct Triple: Sendable, Equatable {
        public let user: Int32, positive: Int32, negative: Int32
        public init(user: Int32, positive: Int32, negative: Int32) {
            self.user = user
            self.positive = positive
            self.negative = negative
        }
    }

    /// Mean loss over `triples`; adds the gradient of that mean into `userGradient` and
    /// `itemGradient` (dense, the layouts of P and Q; only touched rows change).
    public func lossAndGradient(triples: [Triple], users p: UnsafeBufferPointer<Float>, items q: UnsafeBufferPointer<Float>,
                                userGradient gp: UnsafeMutableBufferPointer<Float>,
                                itemGradient gq: UnsafeMutableBufferPointer<Float>) -> Float {
        precondition(p.count == userCount * dimension && q.count == itemCount * dimension
                     && gp.count == p.count && gq.count == q.count, "factor buffers do not fit the model")
        guard !triples.isEmpty else { return 0 }
        let d = dimension, lambda = regularization, scale = 1 / Float(triples.count)
        var loss: Double = 0
        for triple in triples {
            let (u, i, j) = (Int(triple.user) * d, Int(triple.positive) * d, Int(triple.negative) * d)
            var x: Float = 0, norms: Float = 0
            for k in 0..<d {
                x += p[u + k] * (q[i + k] - q[j + k])
                norms += p[u + k] * p[u + k] + q[i + k] * q[i + k] + q[j + k] * q[j + k]
            }
            let term = Self.pairTerm(x)
            loss += term.loss + 0.5 * Double(lambda * norms)
            let c = term.slope * scale
            for k in 0..<d {
                let (pu, qi, qj) = (p[u + k], q[i + k], q[j + k])
                gp[u + k] += c * (qi - qj) + lambda * scale * pu
                gq[i + k] += c * pu + lambda * scale * qi
                gq[j + k] += -c * pu + lambda * scale * qj
            }
        }
        return Float(loss / Double(triples.count))
    }

    /// The BPR term of one triple with margin x = ŷ_ui − ŷ_uj: its loss −ln σ(x) = ln(1 + e^{−x})
    /// (without overflow for large |x|) and its slope d/dx = σ(x) − 1. LightGCN and NGCF share it.
    public static func pairTerm(_ x: Float) -> (loss: Double, slope: Float) {
        let loss = x > 0 ? libmLog(1 + libmExp(Double(-x))) : Double(-x) + libmLog(1 + libmExp(Double(x)))
        return (loss, Float(1 / (1 + libmExp(Double(-x)))) - 1)
    }

    /// Scores of every item for `user`: Q p_u.
    public func scores(user: Int, users p: [Float], items q: [Float], into out: inout [Float]) {
        let d = dimension
        precondition(out.count == itemCount, "score buffer of \(out.count), expected \(itemCount)")
        p.withUnsafeBufferPointer { pb in
            q.withUnsafeBufferPointer { qb in
                out.withUnsafeMutableBufferPointer { o in
                    Matmul.gemm(.none, .none, m: itemCount, n: 1, k: d, a: qb.baseAddress!, b: pb.baseAddress! + user * d,
                                c: o.baseAddress!)
                }
            }
        }
    }
}
