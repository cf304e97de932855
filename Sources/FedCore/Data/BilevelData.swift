/// Data preparation for the data-driven bilevel problems (optimization.md §3.8 tasks 2–3, §4.6 task 3).
///
/// Bilevel problems split a client's rows by their domain tag: tag 1 rows are validation rows and
/// feed the upper level; tag 0 (clean training row) and tag 2 (training row whose label was
/// corrupted) feed the lower level. Tag 2 exists only so hyper-cleaning can report how much weight
/// it still gives to corrupted rows; no algorithm may read it.
public enum BilevelData {
    /// A training row with its original label.
    public static let trainingTag: UInt8 = 0
    /// A validation row (upper level).
    public static let validationTag: UInt8 = 1
    /// A training row whose label was replaced by a wrong one.
    public static let corruptedTag: UInt8 = 2

    /// The same rows with a stratified share of each class tagged as validation (tag 1) and the rest
    /// as training (tag 0); existing tags are replaced.
    ///
    /// Each class with n rows gives round(n · fraction) of them to validation, but at least one and
    /// at most n − 1 when n ≥ 2, so both levels see every class. Unlabelled rows stay training rows.
    /// Deterministic given the stream.
    ///
    /// - Parameters:
    ///   - data: the training rows.
    ///   - fraction: the validation share, in [0, 1].
    ///   - rng: draws which rows of a class are chosen.
    public static func tagValidation(_ data: Dataset, fraction: Double, rng: inout RNGStream) -> Dataset {
        precondition(fraction >= 0 && fraction <= 1, "validation fraction must be in [0, 1], got \(fraction)")
        var tags = [UInt8](repeating: trainingTag, count: data.count)
        for var group in data.indicesByClass() {
            rng.shuffle(&group)
            var count = Int((Double(group.count) * fraction).rounded())
            if group.count >= 2 { count = min(max(count, 1), group.count - 1) }
            for index in group[0..<count] { tags[index] = validationTag }
        }
        var tagged = data
        tagged.domains = tags
        return tagged
    }

    /// The same rows with a share of the training rows (tag 0) given a wrong label and tag 2.
    ///
    /// round(rate · n₀) of the n₀ labelled tag-0 rows are chosen uniformly without replacement; each
    /// gets a label drawn uniformly from the other C − 1 classes. Validation rows (tag 1) are never
    /// touched. A data set without tags counts as all training rows.
    ///
    /// - Parameters:
    ///   - data: rows tagged by `tagValidation` (or untagged).
    ///   - rate: the corrupted share of the training rows, in [0, 1].
    ///   - rng: draws the rows and their new labels.
    public static func corruptLabels(_ data: Dataset, rate: Double, rng: inout RNGStream) -> Dataset {
        precondition(rate >= 0 && rate <= 1, "corruption rate must be in [0, 1], got \(rate)")
        precondition(data.classCount >= 2, "corrupting labels needs at least 2 classes, got \(data.classCount)")
        var corrupted = data
        if corrupted.domains.isEmpty { corrupted.domains = [UInt8](repeating: trainingTag, count: data.count) }
        let candidates = data.labels.indices.filter { corrupted.domains[$0] == trainingTag && data.labels[$0] >= 0 }
        let count = Int((Double(candidates.count) * rate).rounded())
        // sample() returns positions in ascending order, so the label draws follow row order.
        for position in rng.sample(count, from: candidates.count) {
            let row = candidates[position]
            let original = Int(data.labels[row])
            // Uniform over the other classes: draw from C − 1 values and skip the original.
            let draw = rng.nextInt(below: data.classCount - 1)
            corrupted.labels[row] = Int32(draw >= original ? draw + 1 : draw)
            corrupted.domains[row] = corruptedTag
        }
        return corrupted
    }
}
