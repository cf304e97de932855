import FedCore

/// S'MoRE's switch gate for one parent (spec §4.3, the MixLoRA-style gate of the official code):
/// q = W2 relu(W1 u + b1) + b2 for the gate input u (the token's down-projection followed by the
/// chosen ancestors' keys), logits = K q over the layer's s experts, p = softmax, the top-f kept and
/// renormalised into α. Forward and hand-written backward side by side; the backward also returns
/// ∂u, whose key part belongs to the ancestors' keys.
///
/// Letters: n gate input width, g gate width, s experts, f kept. Parameters at `offset` in a flat
/// buffer: W1 [g, n], b1 [g], W2 [g, g], b2 [g], K [s, g].
public struct SwitchGate: Sendable, Equatable {
    public let inputs: Int
    public let width: Int
    public let experts: Int
    public let kept: Int
    public let offset: Int

    public init(inputs: Int, width: Int, experts: Int, kept: Int, offset: Int = 0) {
        precondition(kept >= 1 && kept <= experts, "keep 1…\(experts) experts")
        self.inputs = inputs
        self.width = width
        self.experts = experts
        self.kept = kept
        self.offset = offset
    }

    var w1: Int { offset }
    var b1: Int { w1 + width * inputs }
    var w2: Int { b1 + width }
    var b2: Int { w2 + width * width }
    public var keys: Int { b2 + width }
    public var count: Int { keys + experts * width - offset }

    /// What the backward pass needs.
    public struct Cache: Sendable {
        public let hidden: [Float], q: [Float], p: [Double]
        public let chosen: [Int], alpha: [Float]
    }

    public func forward(_ p: UnsafePointer<Float>, input u: UnsafePointer<Float>) -> Cache {
        var hidden = [Float](repeating: 0, count: width)
        for j in 0..<width {
            var sum = p[b1 + j]
            for i in 0..<inputs { sum += p[w1 + j * inputs + i] * u[i] }
            hidden[j] = max(sum, 0)
        }
        var q = [Float](repeating: 0, count: width)
        for j in 0..<width {
            var sum = p[b2 + j]
            for k in 0..<width { sum += p[w2 + j * width + k] * hidden[k] }
            q[j] = sum
        }
        var logits = [Float](repeating: 0, count: experts)
        for e in 0..<experts { for j in 0..<width { logits[e] += p[keys + e * width + j] * q[j] } }
        let probabilities = logits.withUnsafeBufferPointer { SubsetRouting.softmax($0.baseAddress!, count: experts) }
        let chosen = SubsetRouting.topK(probabilities, k: kept)
        let mass = chosen.reduce(0.0) { $0 + probabilities[$1] }
        return Cache(hidden: hidden, q: q, p: probabilities, chosen: chosen, alpha: chosen.map { Float(probabilities[$0] / mass) })
    }

    /// Given ∂L/∂α for the kept experts (in `cache.chosen` order): ∂p_j = (∂α_j − Σ_i α_i ∂α_i)/S on the
    /// kept set, ∂logits = p ⊙ (∂p − ⟨p, ∂p⟩), then K, the MLP and the input. Adds into `gradient`;
    /// returns ∂L/∂u.
    ///
    /// - Parameter dProbability: a further ∂L/∂p [s] that reaches p directly rather than through α,
    ///   such as the load-balancing loss's β·s·frac_e/calls (nil: none).
    public func backward(_ p: UnsafePointer<Float>, input u: UnsafePointer<Float>, cache: Cache, dAlpha: [Float],
                         dProbability: [Double]? = nil, gradient g: UnsafeMutablePointer<Float>) -> [Float] {
        let mass = cache.chosen.reduce(0.0) { $0 + cache.p[$1] }
        let mixed = zip(cache.alpha, dAlpha).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        var dp = dProbability ?? [Double](repeating: 0, count: experts)
        for (slot, e) in cache.chosen.enumerated() { dp[e] += (Double(dAlpha[slot]) - mixed) / mass }
        let inner = (0..<experts).reduce(0.0) { $0 + cache.p[$1] * dp[$1] }
        let dLogits = (0..<experts).map { Float(cache.p[$0] * (dp[$0] - inner)) }
        var dq = [Float](repeating: 0, count: width)
        for e in 0..<experts {
            for j in 0..<width {
                g[keys + e * width + j] += dLogits[e] * cache.q[j]
                dq[j] += dLogits[e] * p[keys + e * width + j]
            }
        }
        var dHidden = [Float](repeating: 0, count: width)
        for j in 0..<width {
            g[b2 + j] += dq[j]
            for k in 0..<width {
                g[w2 + j * width + k] += dq[j] * cache.hidden[k]
                dHidden[k] += p[w2 + j * width + k] * dq[j]
            }
        }
        var du = [Float](repeating: 0, count: inputs)
        for j in 0..<width where cache.hidden[j] > 0 {
            g[b1 + j] += dHidden[j]
            for i in 0..<inputs {
                g[w1 + j * inputs + i] += dHidden[j] * u[i]
                du[i] += p[w1 + j * inputs + i] * dHidden[j]
            }
        }
        return du
    }
}
