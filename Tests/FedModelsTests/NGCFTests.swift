import FedCore
import FedModels
import Foundation
import Testing

/// NGCF (code form) on a 5-user, 6-item graph: the backward through two layers (normalisation,
/// both branches, message dropout with its masks fixed) against central differences, and no layers
/// reducing to BPR-MF.
@Suite struct NGCFTests {
    let graph = InteractionSet(userCount: 5, itemCount: 6, pairs: [
        (0, 0, 0), (0, 1, 0), (1, 1, 0), (1, 2, 0), (2, 3, 0), (2, 0, 0), (3, 4, 0), (3, 5, 0), (4, 2, 0), (4, 5, 0), (4, 0, 0),
    ])
    let triples = [BPRMatrixFactorization.Triple(user: 0, positive: 1, negative: 3), .init(user: 4, positive: 5, negative: 1),
                   .init(user: 2, positive: 3, negative: 4), .init(user: 1, positive: 2, negative: 0)]

    func loss(_ model: NGCF, _ parameters: [Float], dropoutSeed: UInt64?) -> (Float, [Float]) {
        var gradient = [Float](repeating: 0, count: parameters.count)
        var stream: RNGStream? = dropoutSeed.map { RNGStream(seed: $0, purpose: .custom) }
        let value = model.lossAndGradient(triples: triples, parameters: parameters, gradient: &gradient, dropout: &stream)
        return (value, gradient)
    }

    @Test(arguments: [nil, 11] as [UInt64?])
    func gradient_matchesCentralDifferences(dropoutSeed: UInt64?) {
        let model = NGCF(training: graph, widths: [4, 3, 3], decay: 0.05, messageDropout: 0.2)
        var rng = RNGStream(seed: 4, purpose: .parameterInit)
        let parameters = (0..<model.layout.totalCount).map { _ in Float(rng.nextGaussian() * 0.6) }
        let (_, analytic) = loss(model, parameters, dropoutSeed: dropoutSeed)
        var worst = 0.0, largest = 0.0
        for index in parameters.indices {
            var plus = parameters, minus = parameters
            plus[index] += 3e-3
            minus[index] -= 3e-3
            let numeric = (Double(loss(model, plus, dropoutSeed: dropoutSeed).0) - Double(loss(model, minus, dropoutSeed: dropoutSeed).0))
                / Double(plus[index] - minus[index])
            worst = max(worst, abs(numeric - Double(analytic[index])))
            largest = max(largest, abs(numeric))
        }
        #expect(largest > 1e-2, "the check saw a non-trivial gradient")
        #expect(worst < 2e-3, "worst gradient error \(worst) (largest component \(largest))")
    }

    @Test func noLayers_isBPRMatrixFactorisation() {
        let ngcf = NGCF(training: graph, widths: [4], decay: 0.05)
        let bpr = BPRMatrixFactorization(userCount: 5, itemCount: 6, dimension: 4, regularization: 0.05)
        var rng = RNGStream(seed: 2, purpose: .parameterInit)
        let (p, q) = bpr.initialFactors(rng: &rng)
        let (lossNGCF, gNGCF) = loss(ngcf, p + q, dropoutSeed: nil)
        let (lossBPR, gp, gq) = bpr.lossAndGradients(triples: triples, users: p, items: q)
        #expect(abs(lossNGCF - lossBPR) < 1e-6)
        for (a, b) in zip(gNGCF, gp + gq) { #expect(abs(a - b) < 1e-6) }
    }
}
