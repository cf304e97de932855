import FedCore
import FedModels
import Foundation
import Testing

/// BPR-MF: the hand-written gradient against central differences of a Double reference, and
/// learning on a synthetic set with known structure.
@Suite struct BPRMatrixFactorizationTests {
    let model = BPRMatrixFactorization(userCount: 4, itemCount: 6, dimension: 3, regularization: 0.05)
    let triples = [BPRMatrixFactorization.Triple(user: 0, positive: 1, negative: 2), .init(user: 0, positive: 3, negative: 1),
                   .init(user: 2, positive: 5, negative: 0), .init(user: 3, positive: 2, negative: 4)]

    /// The documented loss in Double, written from the formula.
    func referenceLoss(_ p: [Double], _ q: [Double]) -> Double {
        var total = 0.0
        for t in triples {
            let (u, i, j) = (Int(t.user) * 3, Int(t.positive) * 3, Int(t.negative) * 3)
            var x = 0.0, norms = 0.0
            for k in 0..<3 {
                x += p[u + k] * (q[i + k] - q[j + k])
                norms += p[u + k] * p[u + k] + q[i + k] * q[i + k] + q[j + k] * q[j + k]
            }
            total += -log(1 / (1 + exp(-x))) + 0.025 * norms
        }
        return total / Double(triples.count)
    }

    @Test func gradient_matchesCentralDifferences() {
        var rng = RNGStream(seed: 3, purpose: .parameterInit)
        let p = (0..<12).map { _ in Float(rng.nextGaussian()) }, q = (0..<18).map { _ in Float(rng.nextGaussian()) }
        var gp = [Float](repeating: 0, count: 12), gq = [Float](repeating: 0, count: 18)
        let loss = p.withUnsafeBufferPointer { pb in q.withUnsafeBufferPointer { qb in
            gp.withUnsafeMutableBufferPointer { g1 in gq.withUnsafeMutableBufferPointer { g2 in
                model.lossAndGradient(triples: triples, users: pb, items: qb, userGradient: g1, itemGradient: g2)
            } }
        } }
        let pd = p.map(Double.init), qd = q.map(Double.init)
        #expect(abs(Double(loss) - referenceLoss(pd, qd)) < 1e-5)
        let h = 1e-5
        for index in 0..<12 {
            var plus = pd, minus = pd
            plus[index] += h
            minus[index] -= h
            let numeric = (referenceLoss(plus, qd) - referenceLoss(minus, qd)) / (2 * h)
            #expect(abs(numeric - Double(gp[index])) < 1e-4, "p[\(index)]")
        }
        for index in 0..<18 {
            var plus = qd, minus = qd
            plus[index] += h
            minus[index] -= h
            let numeric = (referenceLoss(pd, plus) - referenceLoss(pd, minus)) / (2 * h)
            #expect(abs(numeric - Double(gq[index])) < 1e-4, "q[\(index)]")
        }
        // Rows no triple touches get no gradient (user 1).
        #expect(gp[3..<6].allSatisfy { $0 == 0 })
    }

    @Test func training_beatsPopularityOnACommunityStructuredSet() {
        var settings = SyntheticInteractions.Settings()
        settings.users = 150
        settings.items = 200
        settings.communities = 5
        settings.meanExtra = 15
        let set = SyntheticInteractions.make(settings, seed: 9)
        var rng = RNGStream(seed: 9, purpose: .dataSplit)
        let (train, test) = InteractionSplit.random(set, rng: &rng)
        let model = BPRMatrixFactorization(userCount: 150, itemCount: 200, dimension: 16, regularization: 1e-4)
        var init_ = RNGStream(seed: 9, purpose: .parameterInit)
        var (p, q) = model.initialFactors(rng: &init_)
        var sampler = RNGStream(seed: 9, purpose: .localTraining)
        for _ in 0..<40 {
            var triples = [BPRMatrixFactorization.Triple]()
            for position in 0..<train.count {
                let user = Int(train.users[position])
                let seen = Set(train.items(of: user))
                var negative: Int32
                repeat { negative = Int32(sampler.nextInt(below: 200)) } while seen.contains(negative)
                triples.append(.init(user: Int32(user), positive: train.items[position], negative: negative))
            }
            sampler.shuffle(&triples)
            for start in stride(from: 0, to: triples.count, by: 64) {
                let batch = Array(triples[start..<min(start + 64, triples.count)])
                let (_, gp, gq) = model.lossAndGradients(triples: batch, users: p, items: q)
                for i in p.indices { p[i] -= 5 * gp[i] }
                for i in q.indices { q[i] -= 5 * gq[i] }
            }
        }
        func meanRecall(_ scoresOf: (Int) -> [Float]) -> Double {
            var sum = 0.0, users = 0.0
            for user in 0..<150 {
                let scores = scoresOf(user)
                guard let r = scores.withUnsafeBufferPointer({ RankingMetrics.allRanking(
                    scores: $0, excluded: Set(train.items(of: user)), relevant: Set(test.items(of: user)), k: 20) }) else { continue }
                sum += r.recall
                users += 1
            }
            return sum / users
        }
        let popularity = train.itemDegrees.map(Float.init)
        let popular = meanRecall { _ in popularity }
        var buffer = [Float](repeating: 0, count: 200)
        let learned = meanRecall { user in model.scores(user: user, users: p, items: q, into: &buffer); return buffer }
        #expect(learned > popular * 1.3, "BPR-MF recall@20 \(learned), popularity \(popular)")
    }
}

extension BPRMatrixFactorization {
    /// The loss and both gradients for arrays (tests compare other models against BPR-MF with it).
    func lossAndGradients(triples: [Triple], users p: [Float], items q: [Float]) -> (loss: Float, users: [Float], items: [Float]) {
        var gp = [Float](repeating: 0, count: p.count), gq = [Float](repeating: 0, count: q.count)
        let loss = p.withUnsafeBufferPointer { pb in q.withUnsafeBufferPointer { qb in
            gp.withUnsafeMutableBufferPointer { g1 in gq.withUnsafeMutableBufferPointer { g2 in
                lossAndGradient(triples: triples, users: pb, items: qb, userGradient: g1, itemGradient: g2)
            } }
        } }
        return (loss, gp, gq)
    }
}
