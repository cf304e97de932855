import FedCore
import FedModels
import FedTestSupport
import Foundation
import Testing

/// Plain boosting on bins (spec §2.1): the splits, gains and leaf weights of hand-sized cases, and
/// learning on real data.
@Suite struct BinnedBoostingTests {
    @Test func bins_placeValuesAtOrBelowEachThreshold_inTheLowerBucket() {
        let bins = FeatureBins(fitting: [1, 2, 3, 4, 5, 6, 7, 8], dimension: 1, buckets: 4)
        #expect(bins.thresholds == [[3, 5, 7]])
        #expect([0.5, 3, 3.5, 5, 7, 7.5, 100].map { bins.bucket(Float($0), feature: 0) } == [0, 0, 1, 1, 2, 3, 3])
        // A constant feature has no threshold: one bucket.
        #expect(FeatureBins(fitting: [2, 2, 2, 2], dimension: 1, buckets: 4).thresholds == [[]])
    }

    /// One feature, bins [0, 0, 1, 1], labels [0, 0, 1, 1], squared loss, λ = 1, η = 1, depth 1:
    /// g = [0, 0, −1, −1], h = 1. Split at bucket 0: GL = 0, HL = 2, GR = −2, HR = 2, gain =
    /// 0 + 4/3 − 4/5 = 8/15. Leaves: 0 and −(−2)/(2 + 1) = 2/3.
    @Test func handCase_splitGainAndLeaves() {
        var settings = BinnedBoosting.Settings()
        settings.trees = 1
        settings.depth = 1
        settings.learningRate = 1
        settings.lambda = 1
        let model = BinnedBoosting.train(bins: [0, 0, 1, 1], dimension: 1, buckets: 2, labels: [0, 0, 1, 1], settings: settings)
        let tree = model.trees[0]
        #expect(tree.splits.map(\.feature) == [0] && tree.splits.map(\.bucket) == [0])
        #expect(abs(tree.splits[0].gain - 8.0 / 15) < 1e-12)
        #expect(abs(tree.leaves[0]) < 1e-12 && abs(tree.leaves[1] - 2.0 / 3) < 1e-12)
        #expect(model.margins([0, 1], dimension: 1).map { ($0 * 1e9).rounded() / 1e9 } == [0, (2.0 / 3 * 1e9).rounded() / 1e9])
    }

    /// Without signal in a feature, its best candidate is "everything left" or an empty side (gain 0),
    /// and the informative feature wins the split.
    @Test func informativeFeature_winsTheSplit_andNoSignalMeansGainZero() {
        var settings = BinnedBoosting.Settings()
        settings.trees = 1
        settings.depth = 1
        // Feature 0 is constant (bucket 0); feature 1 separates the labels.
        let bins: [UInt8] = [0, 0, 0, 1, 0, 2, 0, 3]
        let model = BinnedBoosting.train(bins: bins, dimension: 2, buckets: 4, labels: [1, 1, 5, 5], settings: settings)
        #expect(model.trees[0].splits[0].feature == 1 && model.trees[0].splits[0].bucket == 1)
        let flat = BinnedBoosting.train(bins: bins, dimension: 2, buckets: 4, labels: [3, 3, 3, 3], settings: {
            var s = settings
            s.baseScore = 3
            return s
        }())
        #expect(flat.trees[0].splits[0].gain == 0 && flat.trees[0].leaves.allSatisfy { $0 == 0 })
    }

    /// Squared loss on a step function of one feature: every tree lowers the training error, and deep
    /// enough trees with η = 1 and a small λ fit it almost exactly.
    @Test func squaredLoss_fitsAStepFunction() {
        let rows = 64
        let x = (0..<rows).map { Float($0) }
        let y = x.map { $0 < 20 ? Float(1) : $0 < 45 ? 4 : -2 }
        let bins = FeatureBins(fitting: x, dimension: 1, buckets: 16).apply(x)
        var settings = BinnedBoosting.Settings()
        settings.trees = 8
        settings.depth = 3
        settings.learningRate = 1
        settings.lambda = 0.01
        var errors = [Double]()
        for trees in 1...settings.trees {
            settings.trees = trees
            let margins = BinnedBoosting.train(bins: bins, dimension: 1, buckets: 16, labels: y, settings: settings).margins(bins, dimension: 1)
            errors.append(zip(margins, y).map { ($0 - Double($1)) * ($0 - Double($1)) }.reduce(0, +) / Double(rows))
        }
        #expect(zip(errors, errors.dropFirst()).allSatisfy { $1 <= $0 + 1e-12 })
        // The steps at 20 and 45 fall inside buckets of 4 rows, so a few rows keep a mixed leaf.
        #expect(errors.last! < 0.2)
    }

    /// Logistic loss on breast cancer (bundled, standardised split): a few shallow trees classify well.
    @Test func logisticLoss_classifiesBreastCancer() throws {
        let data = try CSVDatasetLoader.load(path: Fixtures.path("data/breast_cancer/breast_cancer.csv"))
        var rng = RNGStream(seed: 1, purpose: .dataSplit)
        let split = DataSplit.stratified(data, testFraction: 0.3, rng: &rng)
        let binning = FeatureBins(fitting: split.train.features, dimension: data.dimension, buckets: 16)
        var settings = BinnedBoosting.Settings()
        settings.loss = .logistic
        let model = BinnedBoosting.train(bins: binning.apply(split.train.features), dimension: data.dimension, buckets: 16,
                                         labels: split.train.labels.map(Float.init), settings: settings)
        let predictions = model.predictions(binning.apply(split.test.features), dimension: data.dimension)
        let correct = zip(predictions, split.test.labels).filter { ($0 > 0.5) == ($1 == 1) }.count
        let accuracy = Double(correct) / Double(split.test.count)
        #expect(accuracy > 0.9, "test accuracy \(accuracy)")
    }
}
