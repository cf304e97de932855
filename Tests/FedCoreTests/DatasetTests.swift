import FedCore
import FedTestSupport
import Foundation
import Testing

/// The original row index of each row of a data set built by `Numerics.traceableDataset`.
private func rowIDs(_ data: Dataset) -> [Int] {
    (0..<data.count).map { Int(data.features[$0 * data.dimension]) / data.dimension }
}

/// Writes `text` to a fresh temporary file and returns its path.
private func temporaryCSV(_ text: String) throws -> String {
    let path = Fixtures.temporaryDirectory("fedsim-csv") + "/data.csv"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// The data lines of a CSV file parsed with Foundation, independently of the loader.
private func independentRows(_ path: String) throws -> [[Double]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
        line.split(separator: ",").map { Double(String($0))! }
    }
}

@Suite struct DatasetTests {
    // Class sizes 10, 7, 33, 1, 4, 5, interleaved so that classes are not contiguous.
    static let classSizes = [10, 7, 33, 1, 4, 5]
    static let labels: [Int32] = {
        var remaining = classSizes, labels = [Int32]()
        while remaining.contains(where: { $0 > 0 }) {
            for c in remaining.indices where remaining[c] > 0 { labels.append(Int32(c)); remaining[c] -= 1 }
        }
        return labels
    }()
    static let data = Numerics.traceableDataset(labels: labels, dimension: 3, classCount: 6)

    @Test(arguments: [0.2, 0.3, 0.5])
    func stratified_testCountPerClass_isRoundedFractionOfClassSize(fraction: Double) {
        var rng = RNGStream(seed: 1, purpose: .dataSplit)
        let split = DataSplit.stratified(Self.data, testFraction: fraction, rng: &rng)
        for (label, size) in Self.classSizes.enumerated() {
            let expectedTest = Int((Double(size) * fraction).rounded())
            #expect(split.test.classHistogram()[label] == expectedTest, "class \(label)")
            #expect(split.train.classHistogram()[label] == size - expectedTest, "class \(label)")
        }
    }

    @Test func stratified_parts_areDisjointCompleteAscendingAndKeepLabels() {
        for seed: UInt64 in 1...5 {
            var rng = RNGStream(seed: seed, purpose: .dataSplit)
            let split = DataSplit.stratified(Self.data, testFraction: 0.25, rng: &rng)
            let train = rowIDs(split.train), test = rowIDs(split.test)
            #expect(Set(train).isDisjoint(with: test), "seed \(seed)")
            #expect((train + test).sorted() == Array(0..<Self.data.count), "seed \(seed)")
            #expect(train == train.sorted() && test == test.sorted(), "seed \(seed)")
            #expect(zip(train, split.train.labels).allSatisfy { Self.labels[$0] == $1 }, "seed \(seed)")
            #expect(zip(test, split.test.labels).allSatisfy { Self.labels[$0] == $1 }, "seed \(seed)")
        }
    }

    @Test func stratified_isDeterministicPerSeedAndVariesAcrossSeeds() {
        func testRows(_ seed: UInt64) -> [Int] {
            var rng = RNGStream(seed: seed, purpose: .dataSplit)
            return rowIDs(DataSplit.stratified(Self.data, testFraction: 0.3, rng: &rng).test)
        }
        #expect(testRows(4) == testRows(4))
        #expect(testRows(4) != testRows(5))
    }

    @Test func subset_copiesTheRequestedRowsInOrder() {
        let picked = Self.data.subset([3, 0, 3, 59])
        #expect(picked.count == 4 && picked.dimension == 3 && picked.classCount == 6)
        #expect(picked.features == [9, 10, 11, 0, 1, 2, 9, 10, 11, 177, 178, 179])
        #expect(picked.labels == [Self.labels[3], Self.labels[0], Self.labels[3], Self.labels[59]])
        #expect(Self.data.subset([]).count == 0)
    }

    @Test func classHistogramAndIndicesByClass_agreeWithLabels() {
        #expect(Self.data.classHistogram() == Self.classSizes)
        for (label, indices) in Self.data.indicesByClass().enumerated() {
            #expect(indices == Self.labels.indices.filter { Self.labels[$0] == label }, "class \(label)")
        }
    }

    @Test func csvLoader_digits_hasDocumentedShapeAndClassCounts() throws {
        let path = Fixtures.path("data/digits/digits.csv")
        let digits = try CSVDatasetLoader.load(path: path, featureScale: 1.0 / 16.0)
        #expect(digits.count == 1_797)
        #expect(digits.dimension == 64)
        #expect(digits.classCount == 10)
        #expect(digits.classHistogram() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        #expect(digits.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(digits.features.max() == 1)
        let rows = try independentRows(path)
        for row in [0, 1_000, 1_796] {
            let expected = rows[row].dropLast().map { Float($0) / 16 }
            #expect(Array(digits.features[(row * 64)..<((row + 1) * 64)]) == expected, "row \(row)")
            #expect(digits.labels[row] == Int32(rows[row].last!), "row \(row)")
        }
    }

    @Test func csvLoader_breastCancer_hasDocumentedShapeAndClassCounts() throws {
        let path = Fixtures.path("data/breast_cancer/breast_cancer.csv")
        let data = try CSVDatasetLoader.load(path: path)
        #expect(data.count == 569)
        #expect(data.dimension == 30)
        #expect(data.classCount == 2)
        #expect(data.classHistogram() == [212, 357])
        let rows = try independentRows(path)
        #expect(Array(data.features[0..<30]) == rows[0].dropLast().map { Float($0) })
    }

    @Test(arguments: [
        ("a,b,label\n1,2,0\n3,4,1\n5,0\n", 4),
        ("a,b,label\n1,2,0\n1,x,1\n", 3),
        ("a,b,label\n1,2,-1\n", 2),
        ("a,b,label\n1,2,0\n3,4,1.5\n", 3),
        ("a,b,label\n1,2,0\n\n3,4,1,7\n", 4),
        ("a,b,label\r\n1,2,0\r\n3,,1\r\n", 3),
        ("label\n0\n", 2),
    ])
    func csvLoader_malformedLine_throwsWithItsLineNumber(text: String, line: Int) throws {
        let path = try temporaryCSV(text)
        let error = #expect(throws: DataError.self) { try CSVDatasetLoader.load(path: path) }
        guard case let .malformed(reportedPath, reportedLine, _) = error else {
            Issue.record("expected .malformed, got \(String(describing: error))")
            return
        }
        #expect(reportedPath == path)
        #expect(reportedLine == line)
    }

    @Test func csvLoader_headerOnly_throwsMalformed() throws {
        let path = try temporaryCSV("a,b,label\n")
        let error = #expect(throws: DataError.self) { try CSVDatasetLoader.load(path: path) }
        if case .malformed = error {} else { Issue.record("expected .malformed, got \(String(describing: error))") }
    }

    @Test func csvLoader_crlfAndSpacesAndNoTrailingNewline_parse() throws {
        let path = try temporaryCSV("a,b,label\r\n 1.5 ,-2,0\r\n3e1,\t4,2")
        let data = try CSVDatasetLoader.load(path: path, featureScale: 2)
        #expect(data.features == [3, -4, 60, 8])
        #expect(data.labels == [0, 2])
        #expect(data.classCount == 3)
    }

    @Test func csvLoader_missingFile_throwsUnreadable() {
        let path = Fixtures.temporaryDirectory("fedsim-csv") + "/absent.csv"
        let error = #expect(throws: DataError.self) { try CSVDatasetLoader.load(path: path) }
        if case .unreadable = error {} else { Issue.record("expected .unreadable, got \(String(describing: error))") }
    }

    @Test func standardizer_onFittedData_givesZeroMeanUnitStd() {
        var rng = RNGStream(seed: 21, purpose: .custom)
        let (n, d) = (500, 5)
        var features = [Float]()
        for _ in 0..<n {
            for j in 0..<d { features.append(Float(100 * Double(j) - 50 + Double(j + 1) * 3 * rng.nextGaussian())) }
        }
        let data = Dataset(features: features, labels: [Int32](repeating: 0, count: n), dimension: d, classCount: 1)
        let out = Standardizer(fitting: data).apply(to: data)
        for j in 0..<d {
            let column = (0..<n).map { Double(out.features[$0 * d + j]) }
            #expect(abs(Numerics.mean(column)) < 1e-4, "feature \(j)")
            #expect(abs(Numerics.variance(column).squareRoot() - 1) < 1e-4, "feature \(j)")
        }
    }

    @Test func standardizer_appliedToOtherData_usesFittedStatistics() {
        // Column 0: 1, 3, 5, 7 (mean 4, population sd √5); column 1 constant 2 (scale 1).
        let fit = Dataset(features: [1, 2, 3, 2, 5, 2, 7, 2], labels: [0, 0, 0, 0], dimension: 2, classCount: 1)
        let standardizer = Standardizer(fitting: fit)
        #expect(standardizer.mean == [4, 2])
        #expect(abs(Double(standardizer.scale[0]) - 1 / 5.0.squareRoot()) < 1e-7)
        #expect(standardizer.scale[1] == 1)
        let other = Dataset(features: [9, 10], labels: [0], dimension: 2, classCount: 1)
        let out = standardizer.apply(to: other)
        #expect(abs(Double(out.features[0]) - 5 / 5.0.squareRoot()) < 1e-6)
        #expect(out.features[1] == 8)
    }

    @Test func syntheticGaussians_hasRequestedShapesAndIsDeterministicPerSeed() {
        let split = SyntheticGaussians.make(train: 120, test: 30, dimension: 7, classCount: 4, centreStd: 2, seed: 5)
        #expect(split.train.count == 120 && split.test.count == 30)
        #expect(split.train.dimension == 7 && split.test.dimension == 7)
        #expect(split.train.classCount == 4 && split.test.classCount == 4)
        #expect(split.train.features.count == 120 * 7 && split.test.features.count == 30 * 7)
        #expect(split.train.classHistogram().allSatisfy { $0 > 0 })
        let again = SyntheticGaussians.make(train: 120, test: 30, dimension: 7, classCount: 4, centreStd: 2, seed: 5)
        #expect(split.train == again.train && split.test == again.test)
        let other = SyntheticGaussians.make(train: 120, test: 30, dimension: 7, classCount: 4, centreStd: 2, seed: 6)
        #expect(split.train != other.train)
        #expect(split.test != other.test)
    }

    @Test func syntheticGaussians_classMeans_areSeparatedByCentreScale() {
        // With centreStd 10, class centres are ~10√2·√d apart while within-class noise is N(0, 1).
        let split = SyntheticGaussians.make(train: 2_000, test: 10, dimension: 3, classCount: 2, centreStd: 10, seed: 8)
        let d = 3
        var sums = [[Double]](repeating: [0, 0, 0], count: 2), counts = [0, 0]
        for row in 0..<split.train.count {
            let label = Int(split.train.labels[row])
            counts[label] += 1
            for j in 0..<d { sums[label][j] += Double(split.train.features[row * d + j]) }
        }
        var spread = 0.0
        for row in 0..<split.train.count {
            let label = Int(split.train.labels[row])
            for j in 0..<d {
                let deviation = Double(split.train.features[row * d + j]) - sums[label][j] / Double(counts[label])
                spread += deviation * deviation
            }
        }
        // Within-class variance per dimension ≈ 1.
        #expect(abs(spread / Double(split.train.count * d) - 1) < 0.1)
    }
}
