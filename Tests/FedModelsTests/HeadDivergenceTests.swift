import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// The JS step's maths: the divergence's defining properties, and the distillation objective's
/// gradient against central finite differences.
@Suite struct HeadDivergenceTests {
    @Test func jensenShannon_isZeroForEqual_symmetric_andBoundedByLn2() {
        let p = [0.7, 0.2, 0.1], q = [0.1, 0.3, 0.6]
        #expect(abs(HeadDivergence.jensenShannon(p, p)) < 1e-15)
        #expect(abs(HeadDivergence.jensenShannon(p, q) - HeadDivergence.jensenShannon(q, p)) < 1e-15)
        // Disjoint supports reach the bound ln 2.
        #expect(abs(HeadDivergence.jensenShannon([1, 0], [0, 1]) - log(2)) < 1e-9)
        // Hand value: p = (1, 0), q = (1/2, 1/2): m = (3/4, 1/4); JS = ½ ln(4/3) + ½(½ ln(2/3) + ½ ln 2)
        // (the clamp of p's zero at 1e-12 moves it by about 1e-11).
        let expected = 0.5 * log(4.0 / 3) + 0.5 * (0.5 * log(2.0 / 3) + 0.5 * log(2.0))
        #expect(abs(HeadDivergence.jensenShannon([1, 0], [0.5, 0.5]) - expected) < 1e-10)
    }

    @Test func distillationGradient_matchesFiniteDifferences() {
        var rng = RNGStream(seed: 5, purpose: .custom)
        let (n, d, c) = (9, 4, 3)
        let embeddings = (0..<(n * d)).map { _ in Float(rng.nextGaussian()) }
        let labels: [Int32] = (0..<n).map { Int32($0 % c) }
        let head = (0..<(d * c + c)).map { _ in Float(rng.nextGaussian() * 0.5) }
        let global = (0..<(d * c + c)).map { _ in Float(rng.nextGaussian() * 0.5) }
        let train = [0, 2, 5], jsNodes = [0, 1, 2, 3, 5, 8]
        func loss(_ h: [Float]) -> Double {
            HeadDivergence.distillationLossAndGradient(embeddings: embeddings, width: d, labels: labels, trainNodes: train, jsNodes: jsNodes,
                                                       head: h, global: global, classCount: c, mu: 2.5, weightDecay: 0.01).loss
        }
        let analytic = HeadDivergence.distillationLossAndGradient(
            embeddings: embeddings, width: d, labels: labels, trainNodes: train, jsNodes: jsNodes, head: head, global: global,
            classCount: c, mu: 2.5, weightDecay: 0.01).gradient
        for i in head.indices {
            // Float heads: a step of 1e-2 keeps rounding far below the curvature error.
            var plus = head, minus = head
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let numeric = (loss(plus) - loss(minus)) / Double(plus[i] - minus[i])
            #expect(abs(numeric - analytic[i]) < 2e-3 * max(1, abs(numeric)), "head[\(i)]: \(numeric) vs \(analytic[i])")
        }
    }

    @Test func predictionDivergence_isZeroForTheSameHead_andPositiveOtherwise() {
        let embeddings: [Float] = [1, 0, 0, 1, 1, 1]
        let head: [Float] = [2, -1, 0, 1, 0.1, 0]
        #expect(HeadDivergence.meanPredictionDivergence(embeddings: embeddings, width: 2, nodes: [0, 1, 2], local: head, global: head,
                                                        classCount: 2) < 1e-15)
        let other: [Float] = [-2, 1, 0, -1, 0, 0.1]
        let divergence = HeadDivergence.meanPredictionDivergence(embeddings: embeddings, width: 2, nodes: [0, 1, 2], local: head,
                                                                 global: other, classCount: 2)
        #expect(divergence > 0.05 && divergence < log(2))
    }
}
