import FedCore
import FedTestSupport
import Testing

@Suite struct BilevelDataTests {
    // Class sizes 10, 7, 2, 1, 25, interleaved so that classes are not contiguous.
    static let classSizes = [10, 7, 2, 1, 25]
    static let labels: [Int32] = {
        var remaining = classSizes, labels = [Int32]()
        while remaining.contains(where: { $0 > 0 }) {
            for c in remaining.indices where remaining[c] > 0 { labels.append(Int32(c)); remaining[c] -= 1 }
        }
        return labels
    }()
    static let data = Numerics.traceableDataset(labels: labels, dimension: 3, classCount: 5)

    /// Validation rows per class, worked out by hand from the rule: round(n · fraction), at least 1
    /// and at most n − 1 when n ≥ 2 (Swift rounds halves away from zero: 3.5 → 4, 12.5 → 13).
    @Test(arguments: [(0.2, [2, 1, 1, 0, 5]), (0.5, [5, 4, 1, 1, 13]), (0.05, [1, 1, 1, 0, 1])])
    func tagValidation_perClass_tagsRoundedShareWithAtLeastOne(fraction: Double, expected: [Int]) {
        for seed: UInt64 in 1...10 {
            var rng = RNGStream(seed: seed, purpose: .dataSplit)
            let tagged = BilevelData.tagValidation(Self.data, fraction: fraction, rng: &rng)
            #expect(tagged.domains.count == Self.data.count, "seed \(seed)")
            #expect(tagged.domains.allSatisfy { $0 == 0 || $0 == 1 }, "seed \(seed)")
            var validation = [Int](repeating: 0, count: Self.classSizes.count)
            for (row, tag) in tagged.domains.enumerated() where tag == 1 { validation[Int(Self.labels[row])] += 1 }
            #expect(validation == expected, "seed \(seed)")
            #expect(tagged.features == Self.data.features && tagged.labels == Self.data.labels, "seed \(seed)")
        }
    }

    @Test func tagValidation_sameStream_isDeterministic_otherStream_differs() {
        var a = RNGStream(seed: 7, purpose: .dataSplit), b = RNGStream(seed: 7, purpose: .dataSplit)
        var c = RNGStream(seed: 8, purpose: .dataSplit)
        let first = BilevelData.tagValidation(Self.data, fraction: 0.3, rng: &a)
        let second = BilevelData.tagValidation(Self.data, fraction: 0.3, rng: &b)
        let other = BilevelData.tagValidation(Self.data, fraction: 0.3, rng: &c)
        #expect(first == second)
        #expect(first.domains != other.domains)
    }

    @Test func tagValidation_replacesExistingTags() {
        var rng = RNGStream(seed: 3, purpose: .dataSplit)
        let tagged = BilevelData.tagValidation(Self.data.tagged(domain: 2), fraction: 0.2, rng: &rng)
        #expect(!tagged.domains.contains(2))
    }

    @Test(arguments: [0.1, 0.3, 0.5, 1.0])
    func corruptLabels_corruptsExactCountOfTrainingRowsWithOtherLabels(rate: Double) {
        for seed: UInt64 in 1...10 {
            var rng = RNGStream(seed: seed, purpose: .dataSplit)
            let tagged = BilevelData.tagValidation(Self.data, fraction: 0.2, rng: &rng)
            let corrupted = BilevelData.corruptLabels(tagged, rate: rate, rng: &rng)
            let trainingRows = tagged.domains.indices.filter { tagged.domains[$0] == 0 }
            let corruptedRows = corrupted.domains.indices.filter { corrupted.domains[$0] == 2 }
            #expect(corruptedRows.count == Int((Double(trainingRows.count) * rate).rounded()), "seed \(seed)")
            #expect(Set(corruptedRows).isSubset(of: trainingRows), "seed \(seed)")
            for row in 0..<Self.data.count {
                let changed = corrupted.labels[row] != Self.labels[row]
                // A row changes label exactly when it is tagged corrupted, and stays a valid label.
                #expect(changed == (corrupted.domains[row] == 2), "seed \(seed) row \(row)")
                #expect(corrupted.labels[row] >= 0 && corrupted.labels[row] < 5, "seed \(seed) row \(row)")
                if tagged.domains[row] == 1 { #expect(corrupted.domains[row] == 1 && !changed, "seed \(seed) row \(row)") }
            }
            #expect(corrupted.features == Self.data.features, "seed \(seed)")
        }
    }

    @Test func corruptLabels_untaggedData_treatsEveryRowAsTraining() {
        var rng = RNGStream(seed: 4, purpose: .dataSplit)
        let corrupted = BilevelData.corruptLabels(Self.data, rate: 0.3, rng: &rng)
        #expect(corrupted.domains.count == Self.data.count)
        #expect(corrupted.domains.count { $0 == 2 } == Int((Double(Self.data.count) * 0.3).rounded()))
        #expect(corrupted.domains.allSatisfy { $0 == 0 || $0 == 2 })
    }

    @Test func corruptLabels_sameStream_isDeterministic() {
        var a = RNGStream(seed: 5, purpose: .dataSplit), b = RNGStream(seed: 5, purpose: .dataSplit)
        #expect(BilevelData.corruptLabels(Self.data, rate: 0.4, rng: &a) == BilevelData.corruptLabels(Self.data, rate: 0.4, rng: &b))
    }

    /// Every wrong class is reachable and roughly equally likely: with 3 classes, each of a row's two
    /// wrong labels should take about half of its corruptions.
    @Test func corruptLabels_newLabel_isUniformOverOtherClasses() {
        let labels = (0..<3000).map { Int32($0 % 3) }
        let data = Numerics.traceableDataset(labels: labels, dimension: 1, classCount: 3)
        var rng = RNGStream(seed: 9, purpose: .dataSplit)
        let corrupted = BilevelData.corruptLabels(data, rate: 1, rng: &rng)
        var counts = [[Int]](repeating: [0, 0, 0], count: 3)
        for row in 0..<labels.count { counts[Int(labels[row])][Int(corrupted.labels[row])] += 1 }
        for original in 0..<3 {
            #expect(counts[original][original] == 0)
            for other in 0..<3 where other != original {
                // 1000 rows, each wrong class Binomial(1000, 1/2): mean 500, sd ≈ 16; ±80 is 5 sd.
                #expect(abs(counts[original][other] - 500) < 80, "class \(original) → \(other): \(counts[original][other])")
            }
        }
    }
}
