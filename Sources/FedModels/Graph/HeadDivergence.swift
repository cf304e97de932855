import FedCore

/// The head-only maths of ASFGNN-R's second head update (spec §1.2): how far a local and a global
/// linear head disagree on a client's node embeddings (Jensen–Shannon divergence), and the
/// distillation objective that pulls the local head towards the global one.
///
/// A head is `[W (d × C) row-major, b (C)]`, as in a `GraphConvNet` layout. Everything here is in
/// Double: heads are small (d·C + C values) and the divergence of near-equal distributions is a
/// difference of nearly equal logarithms.
public enum HeadDivergence {
    /// Probabilities are clamped here before any logarithm.
    public static let floor = 1e-12

    /// JS(p, q) = ½ Σ p ln(p/m) + ½ Σ q ln(q/m), m = (p+q)/2, natural log (0 ≤ JS ≤ ln 2).
    public static func jensenShannon(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "distributions of \(p.count) and \(q.count) classes")
        var sum = 0.0
        for c in p.indices {
            let a = max(p[c], floor), b = max(q[c], floor), m = (a + b) / 2
            sum += 0.5 * a * libmLog(a / m) + 0.5 * b * libmLog(b / m)
        }
        return sum
    }

    /// softmax(E_v W + b) for each of `nodes`, flat [|nodes|, C].
    public static func probabilities(embeddings: [Float], width d: Int, nodes: [Int], head: [Float], classCount c: Int) -> [Double] {
        precondition(head.count == d * c + c, "a head of \(head.count) values is not \(d) × \(c) plus \(c)")
        var out = [Double](repeating: 0, count: nodes.count * c)
        var z = [Double](repeating: 0, count: c)
        for (row, v) in nodes.enumerated() {
            for k in 0..<c { z[k] = Double(head[d * c + k]) }
            for j in 0..<d {
                let e = Double(embeddings[v * d + j])
                if e == 0 { continue }
                for k in 0..<c { z[k] += e * Double(head[j * c + k]) }
            }
            let top = z.max() ?? 0
            var total = 0.0
            for k in 0..<c { z[k] = libmExp(z[k] - top); total += z[k] }
            for k in 0..<c { out[row * c + k] = z[k] / total }
        }
        return out
    }

    /// Mean over `nodes` of JS between the local and the global head's predictions.
    public static func meanPredictionDivergence(embeddings: [Float], width d: Int, nodes: [Int], local: [Float], global: [Float],
                                                classCount c: Int) -> Double {
        guard !nodes.isEmpty else { return 0 }
        let p = probabilities(embeddings: embeddings, width: d, nodes: nodes, head: local, classCount: c)
        let q = probabilities(embeddings: embeddings, width: d, nodes: nodes, head: global, classCount: c)
        var sum = 0.0
        for row in nodes.indices { sum += jensenShannon(Array(p[(row * c)..<(row * c + c)]), Array(q[(row * c)..<(row * c + c)])) }
        return sum / Double(nodes.count)
    }

    /// `CE(trainNodes) + μ · mean_{v ∈ jsNodes} JS(p_v, q_v) + (wd/2)‖W‖²` of the local head, with q the
    /// fixed global head's predictions, and its gradient with respect to the local head.
    ///
    /// ∂JS/∂z_b = p_b (g_b − Σ_c p_c g_c) with g_c = ½ ln(p_c / m_c) (the q-terms cancel).
    public static func distillationLossAndGradient(
        embeddings: [Float], width d: Int, labels: [Int32], trainNodes: [Int], jsNodes: [Int], head: [Float], global: [Float],
        classCount c: Int, mu: Double, weightDecay: Double
    ) -> (loss: Double, gradient: [Double]) {
        var gz = [Int: [Double]]()  // node -> dL/dz
        var loss = 0.0
        if !trainNodes.isEmpty {
            let p = probabilities(embeddings: embeddings, width: d, nodes: trainNodes, head: head, classCount: c)
            let scale = 1 / Double(trainNodes.count)
            for (row, v) in trainNodes.enumerated() {
                let label = Int(labels[v])
                loss -= libmLog(max(p[row * c + label], floor)) * scale
                var g = gz[v] ?? [Double](repeating: 0, count: c)
                for k in 0..<c { g[k] += (p[row * c + k] - (k == label ? 1 : 0)) * scale }
                gz[v] = g
            }
        }
        if mu > 0 && !jsNodes.isEmpty {
            let p = probabilities(embeddings: embeddings, width: d, nodes: jsNodes, head: head, classCount: c)
            let q = probabilities(embeddings: embeddings, width: d, nodes: jsNodes, head: global, classCount: c)
            let scale = mu / Double(jsNodes.count)
            for (row, v) in jsNodes.enumerated() {
                let pv = Array(p[(row * c)..<(row * c + c)]), qv = Array(q[(row * c)..<(row * c + c)])
                loss += scale * jensenShannon(pv, qv)
                var gLog = [Double](repeating: 0, count: c)
                var mean = 0.0
                for k in 0..<c {
                    let a = max(pv[k], floor), m = (a + max(qv[k], floor)) / 2
                    gLog[k] = 0.5 * libmLog(a / m)
                    mean += pv[k] * gLog[k]
                }
                var g = gz[v] ?? [Double](repeating: 0, count: c)
                for k in 0..<c { g[k] += scale * pv[k] * (gLog[k] - mean) }
                gz[v] = g
            }
        }
        var gradient = [Double](repeating: 0, count: head.count)
        for v in gz.keys.sorted() {
            guard let g = gz[v] else { continue }
            for j in 0..<d {
                let e = Double(embeddings[v * d + j])
                if e == 0 { continue }
                for k in 0..<c { gradient[j * c + k] += e * g[k] }
            }
            for k in 0..<c { gradient[d * c + k] += g[k] }
        }
        for i in 0..<(d * c) {
            loss += 0.5 * weightDecay * Double(head[i]) * Double(head[i])
            gradient[i] += weightDecay * Double(head[i])
        }
        return (loss, gradient)
    }
}
