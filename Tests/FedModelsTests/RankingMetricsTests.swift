import FedModels
import Foundation
import Testing

/// Hand-made rankings with known answers (spec §5.1).
@Suite struct RankingMetricsTests {
    func allRanking(_ scores: [Float], excluded: Set<Int32> = [], relevant: Set<Int32>, k: Int) -> (recall: Double, ndcg: Double)? {
        scores.withUnsafeBufferPointer { RankingMetrics.allRanking(scores: $0, excluded: excluded, relevant: relevant, k: k) }
    }

    @Test func fewerTestItemsThanK_idealDCGUsesThemAll() throws {
        // Order by score: 3, 2, 7, 5, 0, ... -> the relevant items 2 and 5 sit at positions 2 and 4.
        let scores: [Float] = [0.5, 0.1, 0.9, 1.0, 0.2, 0.6, 0.0, 0.7]
        let result = try #require(allRanking(scores, relevant: [2, 5], k: 5))
        #expect(result.recall == 1)
        let dcg = 1 / log2(3.0) + 1 / log2(5.0), ideal = 1 + 1 / log2(3.0)
        #expect(abs(result.ndcg - dcg / ideal) < 1e-12)
    }

    @Test func moreTestItemsThanK_recallIsBoundedByK() throws {
        let scores: [Float] = [0.1, 0.9, 0.2, 0.0, 0.8]
        let result = try #require(allRanking(scores, relevant: [0, 1, 2], k: 2))  // top 2: items 1, 4
        #expect(result.recall == 1.0 / 3)
        #expect(abs(result.ndcg - 1 / (1 + 1 / log2(3.0))) < 1e-12)
    }

    @Test func trainingItemsAreNotRanked_andTiesGoToTheLowerId() {
        let scores: [Float] = [1, 1, 1, 1, 1, 1]
        let top = scores.withUnsafeBufferPointer { RankingMetrics.topK(scores: $0, excluded: [0, 2], k: 3) }
        #expect(top == [1, 3, 4])
        // Excluding the best item moves the next one up.
        let ranked: [Float] = [5, 4, 3, 2]
        #expect(ranked.withUnsafeBufferPointer { RankingMetrics.topK(scores: $0, excluded: [0], k: 2) } == [1, 2])
        #expect(allRanking(scores, relevant: [], k: 3) == nil)
    }

    @Test func leaveOneOut_ranksZeroNineAndTen() {
        let negatives = (0..<99).map { Float($0) }
        // rank 0: nothing scores higher; ties with the test item do not count as higher.
        var result = RankingMetrics.leaveOneOut(testScore: 98, negativeScores: negatives, k: 10)
        #expect(result.hit == 1 && result.ndcg == 1)
        result = RankingMetrics.leaveOneOut(testScore: 89, negativeScores: negatives, k: 10)  // 90...98 higher: rank 9
        #expect(result.hit == 1 && abs(result.ndcg - 1 / log2(11.0)) < 1e-12)
        result = RankingMetrics.leaveOneOut(testScore: 88, negativeScores: negatives, k: 10)  // rank 10
        #expect(result.hit == 0 && result.ndcg == 0)
    }
}
