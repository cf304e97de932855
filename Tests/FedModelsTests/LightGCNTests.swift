import FedCore
import FedModels
import Foundation
import Testing

/// LightGCN on a 5-user, 6-item graph: the propagation matrix, the Horner backward against central
/// differences of a dense Double reference, and K = 0 reducing to BPR-MF.
@Suite struct LightGCNTests {
    let graph = InteractionSet(userCount: 5, itemCount: 6, pairs: [
        (0, 0, 0), (0, 1, 0), (1, 1, 0), (1, 2, 0), (2, 3, 0), (2, 0, 0), (3, 4, 0), (3, 5, 0), (4, 2, 0), (4, 5, 0), (4, 0, 0),
    ])
    let triples = [BPRMatrixFactorization.Triple(user: 0, positive: 1, negative: 3), .init(user: 4, positive: 5, negative: 1),
                   .init(user: 2, positive: 3, negative: 4), .init(user: 0, positive: 0, negative: 2)]

    func reference(_ model: LightGCN, _ ego: [Double]) -> Double {
        let n = 11, d = model.dimension
        let dense = model.propagation.dense()
        var layer = ego, sum = ego.map { $0 / Double(model.layers + 1) }
        for _ in 0..<model.layers {
            var next = [Double](repeating: 0, count: n * d)
            for r in 0..<n { for c in 0..<n where dense[r * n + c] != 0 { for k in 0..<d { next[r * d + k] += Double(dense[r * n + c]) * layer[c * d + k] } } }
            layer = next
            for i in sum.indices { sum[i] += layer[i] / Double(model.layers + 1) }
        }
        var total = 0.0
        for t in triples {
            let (u, i, j) = (Int(t.user) * d, (5 + Int(t.positive)) * d, (5 + Int(t.negative)) * d)
            var x = 0.0, norms = 0.0
            for k in 0..<d {
                x += sum[u + k] * (sum[i + k] - sum[j + k])
                norms += ego[u + k] * ego[u + k] + ego[i + k] * ego[i + k] + ego[j + k] * ego[j + k]
            }
            total += log(1 + exp(-x)) + 0.5 * Double(model.regularization) * norms
        }
        return total / Double(triples.count)
    }

    @Test func propagation_isTheSymmetricNormalisedBipartiteAdjacency() {
        let model = LightGCN(training: graph, dimension: 2, layers: 3, regularization: 0)
        let dense = model.propagation.dense()
        // User 0 (degree 2) and item 0 (degree 3): 1/sqrt(6); no self-loops; symmetric.
        #expect(abs(Double(dense[0 * 11 + 5]) - 1 / 6.0.squareRoot()) < 1e-7)
        #expect((0..<11).allSatisfy { dense[$0 * 11 + $0] == 0 })
        var symmetric = true
        for r in 0..<11 { for c in 0..<11 where dense[r * 11 + c] != dense[c * 11 + r] { symmetric = false } }
        #expect(symmetric)
    }

    @Test(arguments: [1, 3])
    func gradient_matchesCentralDifferences(layers: Int) {
        let model = LightGCN(training: graph, dimension: 3, layers: layers, regularization: 0.1)
        var rng = RNGStream(seed: 8, purpose: .parameterInit)
        let ego = (0..<33).map { _ in Float(rng.nextGaussian()) }
        var gradient = [Float](repeating: 0, count: 33)
        let loss = model.lossAndGradient(triples: triples, ego: ego, gradient: &gradient)
        let egoD = ego.map(Double.init)
        #expect(abs(Double(loss) - reference(model, egoD)) < 1e-5)
        for index in 0..<33 {
            var plus = egoD, minus = egoD
            plus[index] += 1e-5
            minus[index] -= 1e-5
            let numeric = (reference(model, plus) - reference(model, minus)) / 2e-5
            #expect(abs(numeric - Double(gradient[index])) < 1e-4, "K = \(layers), ego[\(index)]: \(numeric) vs \(gradient[index])")
        }
    }

    @Test func zeroLayers_isBPRMatrixFactorisation() {
        let light = LightGCN(training: graph, dimension: 4, layers: 0, regularization: 0.05)
        let bpr = BPRMatrixFactorization(userCount: 5, itemCount: 6, dimension: 4, regularization: 0.05)
        var rng = RNGStream(seed: 2, purpose: .parameterInit)
        let (p, q) = bpr.initialFactors(rng: &rng)
        var gLight = [Float](repeating: 0, count: 44)
        let lossLight = light.lossAndGradient(triples: triples, ego: p + q, gradient: &gLight)
        let (lossBPR, gp, gq) = bpr.lossAndGradients(triples: triples, users: p, items: q)
        #expect(abs(lossLight - lossBPR) < 1e-6)
        for (a, b) in zip(gLight, gp + gq) { #expect(abs(a - b) < 1e-6) }
    }
}
