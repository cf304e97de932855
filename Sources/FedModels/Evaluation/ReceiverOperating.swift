/// The area under the ROC curve of binary scores: the probability that a random positive row scores
/// above a random negative one, ties counting half (the rank-sum form).
public enum ReceiverOperating {
    /// `labels` are 1 (positive) or 0; NaN when either class is missing.
    public static func areaUnderCurve(_ scores: [Double], labels: [Double]) -> Double {
        precondition(scores.count == labels.count, "one score per label")
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] == 1 { rankSum += rank }
            i = j + 1
        }
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
    }
}
