import FedAlgorithms
import FedCore
import FedTestSupport
import Testing

@Suite struct AggregationTests {
    @Test(arguments: [[1.0], [1, 3, 7.5], [0.1, 0.2, 0.3, 0.4, 1e6]])
    func weightedMean_ofIdenticalVectors_isThatVector(weights: [Double]) {
        var rng = RNGStream(seed: UInt64(weights.count), purpose: .custom)
        let vector = Numerics.gaussianFloats(count: 50, scale: 100, rng: &rng) + [0, -0.0, .leastNonzeroMagnitude, 1e30]
        let mean = Aggregation.weightedMean([[Float]](repeating: vector, count: weights.count), weights: weights)
        #expect(mean == vector)
    }

    @Test func weightedMean_ofThreeVectors_equalsHandComputation() {
        // Weights 1, 2, 1 (total 4): ((1 + 6 + 0)/4, (2 − 2 + 4)/4, (−4 + 0 + 8)/4) = (1.75, 1, 1).
        let mean = Aggregation.weightedMean([[1, 2, -4], [3, -1, 0], [0, 4, 8]], weights: [1, 2, 1])
        #expect(mean == [1.75, 1, 1])
    }

    @Test func weightedMean_scalingAllWeights_doesNotChangeResult() {
        // Scaling by a power of two is exact in floating point, so the results agree bit for bit.
        var rng = RNGStream(seed: 3, purpose: .custom)
        let vectors = (0..<5).map { _ in Numerics.gaussianFloats(count: 20, rng: &rng) }
        let weights = [3.0, 1, 4, 1, 5]
        #expect(Aggregation.weightedMean(vectors, weights: weights) == Aggregation.weightedMean(vectors, weights: weights.map { $0 * 1024 }))
    }

    @Test func weightedMean_randomInputs_matchesDoubleReferenceLoop() {
        for seed: UInt64 in 1...5 {
            var rng = RNGStream(seed: seed, purpose: .custom)
            let count = 2 + rng.nextInt(below: 8)
            let vectors = (0..<count).map { _ in Numerics.gaussianFloats(count: 33, rng: &rng) }
            let weights = (0..<count).map { _ in Double(1 + rng.nextInt(below: 500)) }
            let mean = Aggregation.weightedMean(vectors, weights: weights)
            let total = weights.reduce(0, +)
            for i in 0..<33 {
                var expected = 0.0
                for k in 0..<count { expected += weights[k] * Double(vectors[k][i]) }
                expected /= total
                #expect(abs(Double(mean[i]) - expected) <= 1e-6 * max(1, abs(expected)), "seed \(seed) element \(i)")
            }
        }
    }

    @Test func weightedMean_zeroWeight_ignoresThatVector() {
        let mean = Aggregation.weightedMean([[2, 4], [1e9, -1e9], [4, 8]], weights: [1, 0, 1])
        #expect(mean == [3, 6])
    }

    @Test func weightedMetric_isSampleWeightedOverUpdatesReportingAFiniteValue() {
        let updates = [
            ClientUpdate(clientID: 1, numSamples: 10, tensors: [], metrics: ["train_loss": 1.0]),
            ClientUpdate(clientID: 2, numSamples: 30, tensors: [], metrics: ["train_loss": 2.0, "other": 5]),
            ClientUpdate(clientID: 3, numSamples: 60, tensors: [], metrics: ["other": 7]),
            ClientUpdate(clientID: 4, numSamples: 1_000, tensors: [], metrics: ["train_loss": .nan]),
            ClientUpdate(clientID: 5, numSamples: 1_000, tensors: [], metrics: ["train_loss": .infinity]),
        ]
        // (10·1 + 30·2) / 40 = 1.75; "other": (30·5 + 60·7) / 90 = 570/90.
        #expect(Aggregation.weightedMetric("train_loss", in: updates) == 1.75)
        #expect(abs(Aggregation.weightedMetric("other", in: updates) - 570.0 / 90.0) < 1e-12)
        #expect(Aggregation.weightedMetric("missing", in: updates).isNaN)
        #expect(Aggregation.weightedMetric("train_loss", in: []).isNaN)
    }
}
