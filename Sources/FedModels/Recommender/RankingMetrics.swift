import FedCore

/// The recommenders' ranking metrics (spec `models-and-protocols.md` §5.1). Score ties are broken by
/// the lower item id, so every metric is a function of the scores alone.
public enum RankingMetrics {
    /// Protocol A for one user: rank every item except `excluded` (the user's training items) and
    /// score the top `k` against `relevant` (the user's test items).
    ///
    /// `Recall@K = |top_K ∩ Test| / |Test|`, `NDCG@K = DCG@K / IDCG@K` with
    /// `DCG@K = Σ_{k=1..K} [item_k ∈ Test] / log2(k + 1)` and the ideal DCG over min(K, |Test|) hits.
    /// Returns nil when `relevant` is empty (such users are not averaged).
    public static func allRanking(scores: UnsafeBufferPointer<Float>, excluded: Set<Int32>, relevant: Set<Int32>,
                                  k: Int) -> (recall: Double, ndcg: Double)? {
        guard !relevant.isEmpty else { return nil }
        let top = topK(scores: scores, excluded: excluded, k: k)
        var hits = 0, dcg = 0.0
        for (position, item) in top.enumerated() where relevant.contains(item) {
            hits += 1
            dcg += 1 / log2(Double(position + 2))
        }
        var ideal = 0.0
        for position in 0..<min(k, relevant.count) { ideal += 1 / log2(Double(position + 2)) }
        return (Double(hits) / Double(relevant.count), dcg / ideal)
    }

    /// The `k` best items by score (higher first; ties: lower id first), skipping `excluded`.
    public static func topK(scores: UnsafeBufferPointer<Float>, excluded: Set<Int32>, k: Int) -> [Int32] {
        // A small sorted buffer: O(n log k) with k = 20.
        var best = [(score: Float, item: Int32)]()
        best.reserveCapacity(k + 1)
        func better(_ a: (score: Float, item: Int32), _ b: (score: Float, item: Int32)) -> Bool {
            a.score > b.score || (a.score == b.score && a.item < b.item)
        }
        for index in 0..<scores.count {
            let item = Int32(index)
            if excluded.contains(item) { continue }
            let candidate = (score: scores[index], item: item)
            if best.count == k, let last = best.last, !better(candidate, last) { continue }
            var position = best.count
            while position > 0 && better(candidate, best[position - 1]) { position -= 1 }
            best.insert(candidate, at: position)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.item)
    }

    /// Protocol B for one user: `rank` = how many negatives score strictly higher than the test item;
    /// `HR@K = [rank < K]`, `NDCG@K = [rank < K] / log2(rank + 2)`.
    public static func leaveOneOut(testScore: Float, negativeScores: [Float], k: Int) -> (hit: Double, ndcg: Double) {
        let rank = negativeScores.reduce(0) { $0 + ($1 > testScore ? 1 : 0) }
        return rank < k ? (1, 1 / log2(Double(rank + 2))) : (0, 0)
    }

    static func log2(_ x: Double) -> Double { libmLog(x) / libmLog(2) }
}
