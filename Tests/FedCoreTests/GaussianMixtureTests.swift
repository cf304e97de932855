import FedCore
import FedTestSupport
import Foundation
import Testing

@Suite struct GaussianMixtureTests {
    /// Rows of one mode as (xs, ys) in Double.
    func coordinates(_ data: Dataset, mode: Int) -> (xs: [Double], ys: [Double]) {
        let rows = (0..<data.count).filter { data.labels[$0] == Int32(mode) }
        return (rows.map { Double(data.features[2 * $0]) }, rows.map { Double(data.features[2 * $0 + 1]) })
    }

    @Test func modes_sitOnTheCircleOfRadius2_withStd002() {
        let data = GaussianMixture2D.make(count: 8_000, seed: 5)
        #expect(data.dimension == 2 && data.classCount == 8 && data.count == 8_000)
        for mode in 0..<8 {
            // The benchmark's layout, written out independently: mode m at angle m·45°.
            let angle = Double(mode) * Double.pi / 4
            let (xs, ys) = coordinates(data, mode: mode)
            // 1,000 rows per mode: the mean's standard error is 0.02/√1000 ≈ 6e-4.
            #expect(abs(Numerics.mean(xs) - 2 * cos(angle)) < 3e-3, "mode \(mode) x")
            #expect(abs(Numerics.mean(ys) - 2 * sin(angle)) < 3e-3, "mode \(mode) y")
            for values in [xs, ys] {
                let std = Numerics.variance(values).squareRoot()
                #expect(abs(std - 0.02) < 0.002, "mode \(mode) std \(std)")
            }
        }
    }

    @Test func labels_areBalancedOverTheModes() {
        #expect(GaussianMixture2D.make(count: 4_000, seed: 1).classHistogram() == [Int](repeating: 500, count: 8))
        let uneven = GaussianMixture2D.make(count: 21, seed: 1).classHistogram()
        #expect(uneven.max()! - uneven.min()! <= 1 && uneven.reduce(0, +) == 21)
    }

    @Test func make_isDeterministic_andTrainTestAndSeedsDiffer() {
        let train = GaussianMixture2D.make(count: 400, seed: 7, part: .train)
        #expect(train == GaussianMixture2D.make(count: 400, seed: 7, part: .train))
        let test = GaussianMixture2D.make(count: 400, seed: 7, part: .test)
        let otherSeed = GaussianMixture2D.make(count: 400, seed: 8, part: .train)
        // Same labels (row i is mode i mod 8), different noise: no row coincides.
        #expect(test.labels == train.labels)
        #expect((0..<800).allSatisfy { test.features[$0] != train.features[$0] })
        #expect((0..<800).allSatisfy { otherSeed.features[$0] != train.features[$0] })
    }

    @Test func centres_matchTheGeneratedModes() {
        let centres = GaussianMixture2D.centres
        #expect(centres.count == 16)
        for mode in 0..<8 {
            let radius = (centres[2 * mode] * centres[2 * mode] + centres[2 * mode + 1] * centres[2 * mode + 1]).squareRoot()
            #expect(abs(radius - 2) < 1e-12)
        }
        #expect(abs(centres[4]) < 1e-12 && abs(centres[5] - 2) < 1e-12)  // mode 2 at 90°
    }
}
